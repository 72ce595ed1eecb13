package dev.loomstep.devserver.store;

/**
 * A run waiting at a step for something outside it: an event ({@code kind = "wait"}), an invoked
 * run's end ({@code kind = "invoke"}) or a signal ({@code kind = "signal"}, its name in {@code eventName};
 * null once another run's wait took the name over).
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
    public static final String SIGNAL = "signal";
}
