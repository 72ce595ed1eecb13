package dev.loomstep.protocol;

/**
 * The executor refused a checkpoint as stale (HTTP 409): it already re-queued the run, so this request
 * must stop without reporting anything as canonical. Its name on the wire is the JS SDK's
 * {@code StaleDispatchError}.
 */
public final class StaleDispatchException extends RuntimeException {
    public StaleDispatchException(String message) {
        super(message);
    }
}
