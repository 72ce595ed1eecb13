package dev.loomstep.http;

/**
 * Events that were not sent: the event API refused them (a 4xx, or a 5xx on every attempt), answered
 * something unreadable, or could not be reached. The message is one line and never contains the event key.
 */
public final class EventSendException extends RuntimeException {
    private final int status;

    EventSendException(String message, int status, Throwable cause) {
        super(message, cause);
        this.status = status;
    }

    /** The event API's HTTP status, or -1 when no answer arrived. */
    public int status() {
        return status;
    }
}
