package dev.loomstep.devserver.flow;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.devserver.expr.ExpressionEvaluationException;
import dev.loomstep.devserver.expr.CelCompiler;
import dev.loomstep.flow.Priority;
import java.time.Instant;

/**
 * Run priority ({@code priority: {run: "event.data.plan == 'pro' ? 120 : 0"}}): the CEL result is a
 * number of seconds, clamped to ±{@value #MAX_SECONDS}; a run with priority {@code p} is queued as if
 * it had been enqueued {@code p} seconds earlier (negative: later), so it overtakes (or yields to)
 * runs enqueued within that span.
 *
 * <p>A result that is not a number, or an evaluation error, gives 0. A double is truncated. Inngest
 * documents the ±600 s range; its current code allows up to 12 h, which we do not follow.
 */
public final class Priorities {
    /** The largest offset, in seconds, either way. */
    public static final long MAX_SECONDS = 600;

    private Priorities() {}

    /**
     * The run's priority in seconds, within ±{@value #MAX_SECONDS}; 0 without a config.
     *
     * @throws IllegalArgumentException when the expression does not compile
     */
    public static long offsetSeconds(Priority config, JsonNode event) {
        if (config == null || config.run() == null || config.run().isBlank()) {
            return 0;
        }
        long seconds;
        try {
            seconds = CelCompiler.compile(config.run()).evaluateLong(event).orElse(0L);
        } catch (ExpressionEvaluationException e) {
            return 0;
        }
        return Math.max(-MAX_SECONDS, Math.min(MAX_SECONDS, seconds));
    }

    /** The time to order the run by in the queue: {@code enqueuedAt} moved earlier by the priority. */
    public static Instant queueTime(Instant enqueuedAt, Priority config, JsonNode event) {
        return enqueuedAt.minusSeconds(offsetSeconds(config, event));
    }

    /**
     * Checks that {@code priority.run} compiles.
     *
     * @throws IllegalArgumentException with a one-line message
     */
    public static void validate(Priority config) {
        if (config != null && config.run() != null && !config.run().isBlank()) {
            CelCompiler.validate(config.run());
        }
    }
}
