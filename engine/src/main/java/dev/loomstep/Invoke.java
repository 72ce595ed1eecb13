package dev.loomstep;

import java.time.Duration;

/**
 * Options of {@link Step#invoke}: which function, with which data, and how long to wait.
 *
 * <pre>{@code
 * Invoke.function(scoreUser).data(new ScoreRequest(userId)).timeout(Duration.ofMinutes(5))
 * }</pre>
 */
public record Invoke(Function<?, ?> target, String compositeId, Object data, Object user, Duration timeout) {

    /** Invokes a function of this app. */
    public static Invoke function(Function<?, ?> target) {
        return new Invoke(Checks.notNull(target, "the function to invoke"), null, null, null, null);
    }

    /** Invokes any function the executor knows, by composite id ({@code {appId}-{functionId}}). */
    public static Invoke function(String compositeId) {
        return new Invoke(null, Checks.notBlank(compositeId, "the composite id of the function to invoke"), null, null, null);
    }

    public Invoke data(Object payload) {
        return new Invoke(target, compositeId, payload, user, timeout);
    }

    public Invoke user(Object value) {
        return new Invoke(target, compositeId, data, value, timeout);
    }

    public Invoke timeout(Duration after) {
        return new Invoke(target, compositeId, data, user, after);
    }

    /** The composite id the executor knows the target by. */
    public String functionId(String appId) {
        return compositeId != null ? compositeId : appId + "-" + target.id();
    }
}
