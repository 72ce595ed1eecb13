package dev.loomstep.connect;

/**
 * The worker could not connect: the API refused its signing key (401), the configuration cannot work
 * (cloud mode without a signing key), or no gateway became ready in time. The message is one line
 * that says which and what to change.
 */
public class ConnectException extends RuntimeException {
    public ConnectException(String message) {
        super(message);
    }

    public ConnectException(String message, Throwable cause) {
        super(message, cause);
    }
}
