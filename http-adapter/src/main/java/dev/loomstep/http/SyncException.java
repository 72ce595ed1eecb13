package dev.loomstep.http;

/**
 * A sync the executor refused or could not be asked for. The message is one line: the executor's own
 * error when it gave one, else what went wrong on the way.
 */
public final class SyncException extends RuntimeException {
    private final int executorStatus;

    SyncException(String message, int executorStatus, Throwable cause) {
        super(message, cause);
        this.executorStatus = executorStatus;
    }

    /** The executor's HTTP status, or -1 when no answer arrived. */
    public int executorStatus() {
        return executorStatus;
    }
}
