package dev.loomstep.devserver.flow;

import dev.loomstep.devserver.cron.CronSchedule;
import dev.loomstep.devserver.expr.CelCompiler;
import dev.loomstep.flow.CancelOn;
import dev.loomstep.flow.Concurrency;
import dev.loomstep.protocol.SyncRequest.FunctionConfig;
import dev.loomstep.protocol.SyncRequest.TriggerConfig;

/**
 * Validates a function's config at sync time, as Inngest does: trigger expressions compile, cron
 * schedules parse, flow-control settings are in range. A bad function fails the whole sync with one
 * line naming the function and the problem.
 */
public final class ConfigChecks {
    private ConfigChecks() {}

    /** @throws IllegalArgumentException naming the first problem */
    public static void validate(FunctionConfig fn) {
        try {
            if (fn.triggers() != null) {
                for (TriggerConfig t : fn.triggers()) {
                    if (t == null || (t.event() == null) == (t.cron() == null)) {
                        throw new IllegalArgumentException("every trigger needs exactly one of \"event\" and \"cron\"");
                    }
                    if (t.event() != null && t.event().isBlank()) {
                        throw new IllegalArgumentException("a trigger's \"event\" must name an event, got a blank one");
                    }
                    if (t.expression() != null && !t.expression().isBlank()) {
                        CelCompiler.validate(t.expression());
                    }
                    if (t.cron() != null) {
                        CronSchedule.parse(t.cron());
                    }
                    if (t.jitter() != null && (t.cron() == null || t.jitter().isNegative())) {
                        throw new IllegalArgumentException("a trigger's jitter needs a cron schedule and must not be negative, got "
                                + t.jitter() + " on " + (t.cron() == null ? "event " + t.event() : "cron " + t.cron()));
                    }
                }
            }
            if (fn.cancel() != null) {
                for (CancelOn c : fn.cancel()) {
                    Cancellations.validate(c);
                }
            }
            if (fn.concurrency() != null) {
                for (Concurrency c : fn.concurrency()) {
                    if (c.key() != null && !c.key().isBlank()) {
                        CelCompiler.validate(c.key());
                    }
                }
            }
            if (fn.rateLimit() != null) {
                RateLimiter.validate(fn.rateLimit());
            }
            if (fn.throttle() != null) {
                Throttler.validate(fn.throttle());
            }
            if (fn.debounce() != null) {
                Debouncer.validate(fn.debounce());
            }
            if (fn.batchEvents() != null) {
                Batcher.validate(fn.batchEvents());
            }
            if (fn.priority() != null) {
                Priorities.validate(fn.priority());
            }
            if (fn.singleton() != null) {
                SingletonGuard.validate(fn.singleton());
            }
            if (fn.timeouts() != null) {
                requirePositive("timeouts.start", fn.timeouts().start());
                requirePositive("timeouts.finish", fn.timeouts().finish());
            }
            if (fn.idempotency() != null && !fn.idempotency().isBlank()) {
                CelCompiler.validate(fn.idempotency());
            }
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new IllegalArgumentException("function \"" + fn.id() + "\": " + e.getMessage(), e);
        }
    }

    private static void requirePositive(String what, java.time.Duration d) {
        if (d != null && (d.isNegative() || d.isZero())) {
            String shown = d.isNegative() ? "-" + dev.loomstep.protocol.TimeStrings.format(d.negated())
                    : dev.loomstep.protocol.TimeStrings.format(d);
            throw new IllegalArgumentException("invalid " + what + ": must be positive, got " + shown);
        }
    }
}
