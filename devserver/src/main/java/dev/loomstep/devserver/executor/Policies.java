package dev.loomstep.devserver.executor;

import dev.loomstep.devserver.cron.Schedules;
import dev.loomstep.devserver.expr.CelConditions;
import dev.loomstep.devserver.expr.Conditions;
import dev.loomstep.devserver.flow.ConfiguredFlowControl;
import dev.loomstep.devserver.flow.FlowControl;

/**
 * The parts the executor consults but does not own, in one place: expression evaluation (CEL), cron
 * schedules, and flow control ({@link ConfiguredFlowControl}: each function's rateLimit, throttle,
 * debounce, batchEvents, concurrency, idempotency, singleton, priority and timeouts).
 */
public record Policies(Conditions expressions, Schedules schedules, FlowControl flowControl) {

    /** CEL expressions, cron schedules, and flow control from each function's config (fresh state per call). */
    public static Policies defaults() {
        return defaults(java.time.InstantSource.system());
    }

    /** As {@link #defaults()}, with flow-control windows read from the devserver's own clock. */
    public static Policies defaults(java.time.InstantSource clock) {
        return new Policies(new CelConditions(), Schedules.cron(), new ConfiguredFlowControl(clock));
    }
}
