package dev.loomstep.test;

/** What kind of step a {@link StepResult} is, as the executor sees it. */
public enum StepKind {
    /** {@code step.run}. */
    RUN,
    /** {@code step.sendEvent} (a run step of its own kind on the wire). */
    SEND_EVENT,
    /** {@code step.sleep} and {@code step.sleepUntil}. */
    SLEEP,
    /** {@code step.waitForEvent}. */
    WAIT_FOR_EVENT,
    /** {@code step.invoke}. */
    INVOKE,
    /** {@code step.fetch}: made by the executor (mock it in tests). */
    FETCH,
    /** {@code step.ai().infer}: made by the executor (mock it in tests). */
    AI_INFER,
    /** {@code step.ai().wrap}: a run step that records its input. */
    AI_WRAP,
    /** {@code step.waitForSignal}. */
    WAIT_FOR_SIGNAL,
    /** {@code step.sendSignal} (a run step of its own kind on the wire). */
    SEND_SIGNAL,
    /** {@code step.publish} (JS's {@code step.realtime.publish}): its output is the data it published. */
    REALTIME_PUBLISH
}
