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

    /**
     * Invokes a function by id. The id of a function of this app ({@code "child"}) is sent as
     * {@code {appId}-child}, as the JS SDK's {@code referenceFunction({functionId: "child"})} does; an id no
     * function of this app has is taken as the composite id ({@code {appId}-{functionId}}) of a function of
     * any app the executor knows. Use {@link #function(String, String)} to name another app's function plainly.
     */
    public static Invoke function(String id) {
        return new Invoke(null, Checks.notBlank(id, "the id of the function to invoke"), null, null, null);
    }

    /** Invokes function {@code functionId} of app {@code appId} (composite id {@code {appId}-{functionId}}). */
    public static Invoke function(String appId, String functionId) {
        return new Invoke(null, Checks.notBlank(appId, "the app id of the function to invoke") + "-"
                + Checks.notBlank(functionId, "the id of the function to invoke"), null, null, null);
    }

    public Invoke data(Object payload) {
        return new Invoke(target, compositeId, payload, user, timeout);
    }

    public Invoke user(Object value) {
        return new Invoke(target, compositeId, data, value, timeout);
    }

    /**
     * How long to wait for the invoked function's result. Durable waits have a one-second resolution: a
     * positive timeout under one second is sent as one second, longer ones in whole seconds.
     */
    public Invoke timeout(Duration after) {
        return new Invoke(target, compositeId, data, user, after);
    }

    /** The composite id the executor knows the target by, when invoked from a function of {@code app}. */
    public String functionId(Loomstep app) {
        if (target != null) {
            return app.appId() + "-" + target.id();
        }
        String local = app.appId() + "-" + compositeId;
        return app.function(local).isPresent() ? local : compositeId;
    }
}
