package dev.loomstep.devserver.seam;

/**
 * The parts the executor consults but does not own, in one place: expression evaluation (CEL), cron
 * schedules, and flow control ({@link ConfiguredFlowControl}: each function's rateLimit, throttle,
 * debounce, batchEvents, concurrency, idempotency, singleton, priority and timeouts).
 */
public record Seams(Expressions expressions, Schedules schedules, FlowControl flowControl) {

    /** CEL expressions, cron schedules, and flow control from each function's config (fresh state per call). */
    public static Seams defaults() {
        return defaults(java.time.InstantSource.system());
    }

    /** As {@link #defaults()}, with flow-control windows read from the devserver's own clock. */
    public static Seams defaults(java.time.InstantSource clock) {
        return new Seams(new CelExpressions(), Schedules.cron(), new ConfiguredFlowControl(clock));
    }
}
