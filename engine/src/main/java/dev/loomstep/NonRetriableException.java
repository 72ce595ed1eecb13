package dev.loomstep;

/**
 * Fails the step or function at once, without retries. Thrown from a step, the step's error is final;
 * thrown from the function, the run fails.
 */
public class NonRetriableException extends RuntimeException {
    public NonRetriableException(String message) {
        super(message);
    }

    public NonRetriableException(String message, Throwable cause) {
        super(message, cause);
    }
}
