package dev.loomstep;

import dev.loomstep.protocol.WireError;

/**
 * A step that failed for good: it exhausted its retries, threw a {@link NonRetriableException}, or an
 * invoked function failed. Catch it to handle the failure; left uncaught, the run fails.
 */
public class StepFailedException extends RuntimeException implements WireError.RemoteError {
    private final String stepId;
    private final WireError error;

    public StepFailedException(String stepId, WireError error) {
        super("step \"" + stepId + "\" failed: " + error.name() + ": " + error.message());
        this.stepId = stepId;
        this.error = error;
    }

    /** The user's id of the failed step. */
    public String stepId() {
        return stepId;
    }

    /** The step's error as the executor memoized it. */
    public WireError error() {
        return error;
    }

    /** The name of the error the step threw (its exception's simple class name for a Java step). */
    public String errorName() {
        return error.name();
    }

    /** The message of the error the step threw. */
    public String errorMessage() {
        return error.message();
    }

    @Override
    public WireError wireError() {
        return error;
    }
}
