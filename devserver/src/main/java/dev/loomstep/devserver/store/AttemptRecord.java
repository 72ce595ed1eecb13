package dev.loomstep.devserver.store;

import dev.loomstep.protocol.WireError;

/**
 * One failed attempt of a step, or of a whole call (a function-level retry: the function threw outside
 * any step, before its first one for instance): its number (1-based), when it failed, the error, and when
 * the next attempt was due (null when none followed: retries were exhausted or the error was final).
 */
public record AttemptRecord(String runId, String stepId, int attempt, long at, WireError error, Long retryAt) {
    /**
     * The step id a function-level attempt is kept under: a prefix no SDK's hashed step id has, and the
     * queue item of the call, whose attempt count starts again at each new call.
     */
    public static final String CALL_PREFIX = "$call:";

    public static String callStepId(long queueItemId) {
        return CALL_PREFIX + queueItemId;
    }

    /** True for an attempt of a whole call rather than of one step. */
    public boolean ofCall() {
        return stepId.startsWith(CALL_PREFIX);
    }

    /** The queue item of a call attempt ({@link #ofCall()}). */
    public long callItemId() {
        return Long.parseLong(stepId.substring(CALL_PREFIX.length()));
    }
}
