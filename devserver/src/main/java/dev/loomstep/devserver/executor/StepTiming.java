package dev.loomstep.devserver.executor;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * When an SDK says a step ran: an op's {@code timing}, {@code {"a": start in nanoseconds since the epoch,
 * "b": duration in nanoseconds}} (the JS SDK sends it with every step it runs), in epoch milliseconds.
 * Without it the executor knows only when the call, or the checkpoint before the step, began.
 */
public record StepTiming(long startedAt, long endedAt) {

    /** The op's timing, or null when it has none or it is not two non-negative numbers. */
    static StepTiming of(JsonNode op) {
        JsonNode t = op == null ? null : op.get("timing");
        if (t == null || !t.isObject() || !t.path("a").canConvertToLong() || !t.path("b").canConvertToLong()) {
            return null;
        }
        long a = t.path("a").asLong();
        long b = t.path("b").asLong();
        if (a <= 0 || b < 0) {
            return null;
        }
        long start = a / 1_000_000;
        return new StepTiming(start, start + Math.max(0, b / 1_000_000));
    }

    /** This timing's start, or {@code fallback} without one. */
    public static long startOr(StepTiming t, long fallback) {
        return t == null ? fallback : t.startedAt;
    }

    /** This timing's end, or {@code fallback} without one. */
    public static long endOr(StepTiming t, long fallback) {
        return t == null ? fallback : t.endedAt;
    }
}
