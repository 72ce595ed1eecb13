package dev.loomstep.flow;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * At most {@code limit} steps of the function executing at once, per value of the CEL {@code key}
 * (over {@code event}), counted within {@code scope}.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Concurrency(int limit, String key, Scope scope) {
    public enum Scope { fn, env, account }

    public static Concurrency of(int limit) {
        return new Concurrency(limit, null, null);
    }

    public static Concurrency perKey(int limit, String key) {
        return new Concurrency(limit, key, null);
    }
}
