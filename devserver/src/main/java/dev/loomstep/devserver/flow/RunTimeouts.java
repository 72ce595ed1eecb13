package dev.loomstep.devserver.flow;

import dev.loomstep.flow.Timeouts;
import java.time.Instant;
import java.util.Optional;

/**
 * Run timeouts ({@code timeouts: {start, finish}}): a run not started within {@code start} of being
 * scheduled, or not finished within {@code finish} of its first call, is cancelled. Queue time
 * caused by concurrency, throttling and retries counts towards {@code start}.
 */
public final class RunTimeouts {
    private RunTimeouts() {}

    /** When a run scheduled at {@code scheduledAt} must have started, if the function sets a start timeout. */
    public static Optional<Instant> startDeadline(Timeouts timeouts, Instant scheduledAt) {
        return timeouts == null || timeouts.start() == null ? Optional.empty() : Optional.of(scheduledAt.plus(timeouts.start()));
    }

    /** When a run first called at {@code startedAt} must have finished, if the function sets a finish timeout. */
    public static Optional<Instant> finishDeadline(Timeouts timeouts, Instant startedAt) {
        return timeouts == null || timeouts.finish() == null ? Optional.empty() : Optional.of(startedAt.plus(timeouts.finish()));
    }

    /** Whether a run scheduled at {@code scheduledAt} and not started yet is overdue at {@code now}. */
    public static boolean startExpired(Timeouts timeouts, Instant scheduledAt, Instant now) {
        return startDeadline(timeouts, scheduledAt).map(now::isAfter).orElse(false);
    }

    /** Whether a run first called at {@code startedAt} and not finished is overdue at {@code now}. */
    public static boolean finishExpired(Timeouts timeouts, Instant startedAt, Instant now) {
        return finishDeadline(timeouts, startedAt).map(now::isAfter).orElse(false);
    }
}
