package dev.loomstep.internal;

import dev.loomstep.middleware.StepInfo;
import java.time.Duration;

/**
 * What the engine knows about its calls that the middleware hooks do not show: when a call starts and
 * ends (so how many are in flight), whether it is the first call of a run, the executor-facing verdict
 * on a step or on the function (retried, or final because the error is non-retriable or the executor's
 * {@code ctx.max_attempts} is spent), and the round trip of each checkpoint. Loomstep's metrics
 * ({@code loomstep-micrometer}) implement it; the engine finds it among the app's client-level
 * middleware, so it is registered as one. Not a user API: it may change in any release.
 */
public interface CallObserver {

    /**
     * A call request of a function begins, on the thread that made it.
     *
     * @param appId      the app's id
     * @param functionId the function's id within the app (an {@code onFailure} handler's is {@code {id}-failure})
     * @param firstCall  the run's first call: attempt 0, no memoized state, not targeting a planned step
     * @return what sees the rest of this call, never null
     */
    Call callStarted(String appId, String functionId, boolean firstCall);

    /** Where a step or the function stands after an attempt, as the answer tells the executor. */
    enum Verdict {
        /** Returned. */
        SUCCEEDED,
        /** Threw; the executor will try again. */
        RETRY,
        /** Threw for good. */
        FAILED
    }

    /** One call request. Methods may be called from several threads, but never twice at the same time for one step. */
    interface Call {
        Call NONE = new Call() {};

        /** A step body executed in this call ended ({@code attempt} counts from 0). */
        default void stepEnded(StepInfo step, int attempt, Verdict verdict) {}

        /** The function's own code ended this call: it returned, or threw with this verdict. */
        default void functionEnded(Verdict verdict) {}

        /** A checkpoint was acknowledged ({@code acknowledged}) or failed, {@code latency} after it was sent. */
        default void checkpointed(Duration latency, boolean acknowledged) {}

        /** The call's answer is decided (or the call failed); called once, last. */
        default void callEnded() {}
    }
}
