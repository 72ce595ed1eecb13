package dev.loomstep.test;

/** Where a run of the {@link TestEngine} ended. */
public enum RunStatus {
    /** The function returned. */
    COMPLETED,
    /** The function failed for good (retries used up, or a non-retriable error). */
    FAILED,
    /**
     * The run has not finished: it was stopped at a step ({@link Execution#runUntil}), or it waits for
     * something that can never come (a {@code waitForEvent} without a timeout and no matching event).
     */
    RUNNING
}
