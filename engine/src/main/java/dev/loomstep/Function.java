package dev.loomstep;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.flow.BatchEvents;
import dev.loomstep.flow.CancelOn;
import dev.loomstep.flow.Concurrency;
import dev.loomstep.flow.Debounce;
import dev.loomstep.flow.Priority;
import dev.loomstep.flow.RateLimit;
import dev.loomstep.flow.Singleton;
import dev.loomstep.flow.Throttle;
import dev.loomstep.flow.Timeouts;
import dev.loomstep.middleware.Middleware;
import dev.loomstep.protocol.Json;
import dev.loomstep.protocol.WireError;
import java.util.ArrayList;
import java.util.List;

/**
 * A durable function: its id, triggers, retry and flow-control configuration, and its handler.
 *
 * <pre>{@code
 * var fn = Function.builder("account-created").name("Account creation flow")
 *     .trigger(Trigger.event("api/account.created"))
 *     .handler(AccountCreated.class, (input, step) -> {
 *         step.sleep("initial-delay", Duration.ofSeconds(1));
 *         return step.run("send-welcome", Boolean.class, () -> emails.send(input.data().email()));
 *     });
 * }</pre>
 *
 * @param <T> the type the trigger event's {@code data} is bound to
 * @param <R> the function's result
 */
public final class Function<T, R> {
    private final Options options;
    private final JavaType dataType;
    private final FunctionHandler<T, R> handler;

    private Function(Options options, JavaType dataType, FunctionHandler<T, R> handler) {
        this.options = options;
        this.dataType = dataType;
        this.handler = handler;
    }

    /** Starts a function definition; {@code id} is unique within the app and stable across deploys. */
    public static Builder builder(String id) {
        return new Builder(id);
    }

    public String id() {
        return options.id;
    }

    public String name() {
        return options.name == null ? options.id : options.name;
    }

    public List<Trigger> triggers() {
        return List.copyOf(options.triggers);
    }

    /**
     * Retries after the first attempt (a run gets up to retries + 1 attempts); null means the executor's
     * default (3). Synced, as the JS SDK does, as {@code steps.step.retries.attempts = retries}: despite its
     * name that wire field carries the retry count, not retries + 1.
     */
    public Integer retries() {
        return options.retries;
    }

    public Options options() {
        return options;
    }

    public JavaType dataType() {
        return dataType;
    }

    public FunctionHandler<T, R> handler() {
        return handler;
    }

    /** The function-level middleware, run inside the client-level middleware. */
    public List<Middleware> middleware() {
        return List.copyOf(options.middleware);
    }

    /** The data of {@code inngest/function.failed}, handed to an {@code onFailure} handler. */
    public record Failure(
            @JsonProperty("function_id") String functionId,
            @JsonProperty("run_id") String runId,
            WireError error,
            Event event) {}

    /** The definition of a function, everything but its handler. Read by the sync configuration. */
    public static final class Options {
        final String id;
        String name;
        final List<Trigger> triggers = new ArrayList<>();
        Integer retries;
        final List<Concurrency> concurrency = new ArrayList<>();
        RateLimit rateLimit;
        Throttle throttle;
        Debounce debounce;
        BatchEvents batchEvents;
        final List<CancelOn> cancelOn = new ArrayList<>();
        Priority priority;
        String idempotency;
        Timeouts timeouts;
        Singleton singleton;
        FunctionHandler<Failure, ?> onFailure;
        int onFailureRetries = 1;
        final List<Middleware> middleware = new ArrayList<>();
        Checkpointing checkpointing;

        Options(String id) {
            this.id = id;
        }

        Options copy() {
            var c = new Options(id);
            c.name = name;
            c.triggers.addAll(triggers);
            c.retries = retries;
            c.concurrency.addAll(concurrency);
            c.rateLimit = rateLimit;
            c.throttle = throttle;
            c.debounce = debounce;
            c.batchEvents = batchEvents;
            c.cancelOn.addAll(cancelOn);
            c.priority = priority;
            c.idempotency = idempotency;
            c.timeouts = timeouts;
            c.singleton = singleton;
            c.onFailure = onFailure;
            c.onFailureRetries = onFailureRetries;
            c.middleware.addAll(middleware);
            c.checkpointing = checkpointing;
            return c;
        }

        public List<Concurrency> concurrency() { return List.copyOf(concurrency); }
        public RateLimit rateLimit() { return rateLimit; }
        public Throttle throttle() { return throttle; }
        public Debounce debounce() { return debounce; }
        public BatchEvents batchEvents() { return batchEvents; }
        public List<CancelOn> cancelOn() { return List.copyOf(cancelOn); }
        public Priority priority() { return priority; }
        public String idempotency() { return idempotency; }
        public Timeouts timeouts() { return timeouts; }
        public Singleton singleton() { return singleton; }
        public FunctionHandler<Failure, ?> onFailure() { return onFailure; }
        /** Retries of the onFailure handler's run: 1 (two attempts, as the JS SDK syncs it) unless set. */
        public int onFailureRetries() { return onFailureRetries; }
        /** This function's checkpointing, or null to use the app's. */
        public Checkpointing checkpointing() { return checkpointing; }
    }

    /** Builds a {@link Function}; {@code handler(...)} finishes it. */
    public static final class Builder {
        private final Options o;

        private Builder(String id) {
            Checks.notBlank(id, "a function id");
            if (!id.matches("[A-Za-z0-9_.-]+")) {
                throw new IllegalArgumentException("a function id may hold letters, digits, '-', '_' and '.', got \"" + id + "\"");
            }
            o = new Options(id);
        }

        /** A human-readable name; defaults to the id. */
        public Builder name(String name) { o.name = name; return this; }
        public Builder trigger(Trigger trigger) { o.triggers.add(Checks.notNull(trigger, "a trigger")); return this; }
        /** Retries after the first attempt, for each step and the function call (0..20). */
        public Builder retries(int retries) {
            if (retries < 0 || retries > 20) {
                throw new IllegalArgumentException("retries must be between 0 and 20, got " + retries);
            }
            o.retries = retries;
            return this;
        }
        public Builder concurrency(int limit) { return concurrency(Concurrency.of(limit)); }
        public Builder concurrency(Concurrency limit) {
            if (o.concurrency.size() == 2) {
                throw new IllegalArgumentException("a function takes at most 2 concurrency limits");
            }
            o.concurrency.add(limit);
            return this;
        }
        public Builder rateLimit(RateLimit rateLimit) { o.rateLimit = rateLimit; return this; }
        public Builder throttle(Throttle throttle) { o.throttle = throttle; return this; }
        public Builder debounce(Debounce debounce) { o.debounce = debounce; return this; }
        public Builder batchEvents(BatchEvents batch) { o.batchEvents = batch; return this; }
        public Builder cancelOn(CancelOn cancel) { o.cancelOn.add(Checks.notNull(cancel, "a cancelOn")); return this; }
        public Builder priority(String runExpression) { o.priority = new Priority(runExpression); return this; }
        /** CEL over {@code event}; one run per value of the key per 24 hours. */
        public Builder idempotency(String key) { o.idempotency = key; return this; }
        public Builder timeouts(Timeouts timeouts) { o.timeouts = timeouts; return this; }
        public Builder singleton(Singleton singleton) { o.singleton = singleton; return this; }
        /** A handler run when this function fails for good (a second function, {@code {id}-failure}). */
        public Builder onFailure(FunctionHandler<Failure, ?> handler) { o.onFailure = handler; return this; }
        /**
         * As {@link #onFailure(FunctionHandler)}, with the handler's own retries (0–20). The JS SDK always
         * gives a failure handler one retry; a compensation that must survive an app outage longer than the
         * executor's first backoff needs more.
         */
        public Builder onFailure(FunctionHandler<Failure, ?> handler, int retries) {
            if (retries < 0 || retries > 20) {
                throw new IllegalArgumentException("onFailure retries must be between 0 and 20, got " + retries);
            }
            o.onFailure = handler;
            o.onFailureRetries = retries;
            return this;
        }
        /** Middleware for this function only, run inside the client's middleware. */
        public Builder middleware(Middleware middleware) { o.middleware.add(Checks.notNull(middleware, "a middleware")); return this; }
        /** Checkpointing for this function, replacing the app's ({@link Loomstep.Builder#checkpointing}). */
        public Builder checkpointing(Checkpointing checkpointing) { o.checkpointing = Checks.notNull(checkpointing, "checkpointing"); return this; }

        /** Finishes the function with a handler whose event data is bound to {@code dataType}. */
        public <T, R> Function<T, R> handler(Class<T> dataType, FunctionHandler<T, R> handler) {
            return build(Json.mapper().constructType(dataType), handler);
        }

        /** As {@link #handler(Class, FunctionHandler)} for generic data types. */
        public <T, R> Function<T, R> handler(TypeReference<T> dataType, FunctionHandler<T, R> handler) {
            return build(Json.mapper().constructType(dataType), handler);
        }

        /** Finishes the function with a handler that reads event data as a JSON tree. */
        public <R> Function<JsonNode, R> handler(FunctionHandler<JsonNode, R> handler) {
            return build(Json.mapper().constructType(JsonNode.class), handler);
        }

        private <T, R> Function<T, R> build(JavaType type, FunctionHandler<T, R> handler) {
            Checks.notNull(handler, "a function handler");
            if (o.triggers.isEmpty()) {
                throw new IllegalStateException("function \"" + o.id + "\" has no trigger: add .trigger(Trigger.event(...)) or Trigger.cron(...)");
            }
            return new Function<>(o.copy(), type, handler);
        }
    }
}
