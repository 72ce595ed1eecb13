package dev.loomstep.devserver.store;

/**
 * A run waiting at a step for something outside it: an event ({@code kind = "wait"}) or an invoked
 * run's end ({@code kind = "invoke"}).
 */
public record PauseRecord(
        String runId,
        String stepId,
        String kind,
        String eventName,
        String expression,
        String match,
        long expiresAt,
        long createdAt) {

    public static final String WAIT = "wait";
    public static final String INVOKE = "invoke";
}
