package dev.loomstep.encryption;

/**
 * An encrypted value could not be decrypted: none of the keys fits (a wrong or missing key), or the data
 * was changed or is not what the strategy expects. Thrown where the value is read (the step call, or the
 * start of the run for event data), so the function never sees a garbage value; the run's attempt fails
 * with it and is retried like any error (a deploy that adds the missing key then lets it go on).
 */
public class DecryptionException extends RuntimeException {
    public DecryptionException(String message) {
        super(message);
    }

    public DecryptionException(String message, Throwable cause) {
        super(message, cause);
    }
}
