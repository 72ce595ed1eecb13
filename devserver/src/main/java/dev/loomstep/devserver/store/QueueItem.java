package dev.loomstep.devserver.store;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Durable work: a call to make or a timer to fire, due at {@code dueAt} (epoch ms).
 *
 * @param stepId  the hashed step id (STEP and timers), or the function id (CRON)
 * @param attempt 0-based attempt of this call (sent as {@code ctx.attempt})
 * @param payload kind-specific data (the cron schedule of a CRON item, {@link #RACE} on a STEP of a race),
 *                or null
 */
public record QueueItem(long id, String runId, Kind kind, String stepId, int attempt, long dueAt, JsonNode payload) {

    /** The payload of a STEP the SDK planned with {@code opts.parallelMode: "race"}. */
    public static final String RACE = "race";

    /** A targeted call of a step in a race: a discovery call does not wait for it. */
    public boolean race() {
        return kind == Kind.STEP && payload != null && RACE.equals(payload.path("parallelMode").asText(null));
    }

    /** What a queue item does when it is due. */
    public enum Kind {
        /** Call the SDK with {@code stepId=step}: discover what the function does next. */
        DISCOVER,
        /** Call the SDK with {@code stepId={hash}}: run one planned step. */
        STEP,
        /** A sleep is over: memoize null and discover. */
        WAKE,
        /** A waitForEvent timed out: memoize null and discover. */
        WAIT_TIMEOUT,
        /** An invoke timed out: memoize an error and discover. */
        INVOKE_TIMEOUT,
        /** A cron schedule fired: start a run of the function. */
        CRON,
        /** Make the HTTP request of a {@code Gateway} / {@code AIGateway} op ({@code payload}: op, name, opts). */
        GATEWAY;

        /** Calls go to the SDK; the rest are timers handled inside the devserver. */
        public boolean isCall() {
            return this == DISCOVER || this == STEP;
        }
    }
}
