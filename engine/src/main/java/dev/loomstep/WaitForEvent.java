package dev.loomstep;

import java.time.Duration;

/**
 * Options of {@link Step#waitForEvent}: the event to wait for, how long, and which one matches.
 *
 * <pre>{@code
 * WaitForEvent.of("api/function.created").timeout(Duration.ofHours(72))
 *     .ifExpression("event.data.user_id == async.data.user_id")
 * }</pre>
 */
public record WaitForEvent(String event, Duration timeout, String ifExpression, String match) {

    public WaitForEvent {
        Checks.notBlank(event, "the event to wait for");
        Checks.notNull(timeout, "a waitForEvent timeout");
    }

    /** Waits for {@code event}; the default timeout is one hour until {@link #timeout} says otherwise. */
    public static WaitForEvent of(String event) {
        return new WaitForEvent(event, Duration.ofHours(1), null, null);
    }

    public WaitForEvent timeout(Duration after) {
        return new WaitForEvent(event, after, ifExpression, match);
    }

    /** CEL over {@code event} (the run's trigger) and {@code async} (the candidate event). */
    public WaitForEvent ifExpression(String expression) {
        return new WaitForEvent(event, timeout, expression, match);
    }

    /** Legacy: {@code "data.user_id"} matches when both events carry the same value there. */
    public WaitForEvent match(String field) {
        return new WaitForEvent(event, timeout, ifExpression, field);
    }
}
