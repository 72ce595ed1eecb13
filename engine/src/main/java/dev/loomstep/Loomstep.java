package dev.loomstep;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.loomstep.internal.Engine;
import dev.loomstep.internal.SyncConfigs;
import dev.loomstep.middleware.Middleware;
import dev.loomstep.protocol.CallRequest;
import dev.loomstep.protocol.CheckpointApi;
import dev.loomstep.protocol.CallResult;
import dev.loomstep.protocol.RawRequest;
import dev.loomstep.protocol.SyncRequest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;

/**
 * A Loomstep app: its id, configuration, functions and middleware. The entry point of the SDK; the HTTP
 * adapter serves it, and {@link #call} runs one executor call request in-process.
 *
 * <pre>{@code
 * var app = Loomstep.builder("billing")
 *     .functions(accountCreated, sendInvoice)
 *     .middleware(new LoggingMiddleware())
 *     .build();
 * }</pre>
 */
public final class Loomstep {
    /** The SDK's name and version as sent in {@code X-Inngest-Sdk}. */
    public static final String SDK_NAME = "loomstep";
    public static final String VERSION = "0.1.0";
    public static final String SDK_HEADER = SDK_NAME + ":v" + VERSION;

    private final String appId;
    private final String appVersion;
    private final Config config;
    private final Map<String, Function<?, ?>> functions;
    private final List<Function<?, ?>> userFunctions;
    private final List<Middleware> middleware;
    private final EventSender eventSender;
    private final Checkpointing checkpointing;
    private final Engine engine;

    private Loomstep(Builder b) {
        this.appId = b.appId;
        this.appVersion = b.appVersion;
        this.config = b.config;
        this.userFunctions = List.copyOf(b.functions);
        this.middleware = List.copyOf(b.middleware);
        var byId = new LinkedHashMap<String, Function<?, ?>>();
        for (Function<?, ?> fn : userFunctions) {
            put(byId, appId + "-" + fn.id(), fn);
            if (fn.options().onFailure() != null) {
                put(byId, appId + "-" + fn.id() + SyncConfigs.FAILURE_SUFFIX, SyncConfigs.failureFunction(appId, fn));
            }
        }
        this.functions = Collections.unmodifiableMap(byId);
        this.eventSender = b.eventSender != null ? b.eventSender : defaultSender(config);
        this.checkpointing = b.checkpointing;
        this.engine = new Engine(this, b.objectMapper);
    }

    private static void put(Map<String, Function<?, ?>> byId, String id, Function<?, ?> fn) {
        if (byId.putIfAbsent(id, fn) != null) {
            throw new IllegalArgumentException("two functions share the id \"" + id + "\"; function ids must be unique within an app");
        }
    }

    private static EventSender defaultSender(Config config) {
        for (EventSender.Provider p : ServiceLoader.load(EventSender.Provider.class)) {
            return p.create(config, SDK_HEADER);
        }
        return events -> {
            throw new IllegalStateException("no event sender: add loomstep-http to the classpath or set Loomstep.builder(...).eventSender(...)");
        };
    }

    /** Starts an app; {@code appId} names it to the executor and prefixes its function ids. */
    public static Builder builder(String appId) {
        return new Builder(appId);
    }

    public String appId() {
        return appId;
    }

    public Config config() {
        return config;
    }

    /** The functions as the user defined them (without the generated onFailure functions). */
    public List<Function<?, ?>> functions() {
        return userFunctions;
    }

    /** Every function the executor knows, by composite id, including generated onFailure functions. */
    public Map<String, Function<?, ?>> functionsById() {
        return functions;
    }

    public Optional<Function<?, ?>> function(String compositeId) {
        return Optional.ofNullable(functions.get(compositeId));
    }

    public List<Middleware> middleware() {
        return middleware;
    }

    public EventSender eventSender() {
        return eventSender;
    }

    /**
     * The mapper this app's user values go through: step results, function inputs and results, event data
     * bound to a function's or {@code waitForEvent}'s type, invoke payloads and results. Loomstep's own
     * ({@link dev.loomstep.protocol.Json#mapper()}) unless {@link Builder#objectMapper} set one.
     */
    public ObjectMapper objectMapper() {
        return engine.mapper();
    }

    /**
     * An event whose data is written with this app's {@link #objectMapper()}, so that a function of the
     * app binds it back with the same modules and naming; {@link Event#of} uses Loomstep's own mapper.
     */
    public Event event(String name, Object data) {
        return Event.of(name, data == null ? null : objectMapper().valueToTree(data));
    }

    /** The app's checkpointing; a function's own {@link Function.Builder#checkpointing} replaces it. */
    public Checkpointing checkpointing() {
        return checkpointing;
    }

    /**
     * Runs one executor call request and decides the answer: 200 with the function's result, 206 with
     * ops, or an error. Blocks the calling thread (use a virtual thread) until the run is parked or done.
     *
     * @param fnId    composite function id from the {@code fnId} query parameter
     * @param stepId  {@code "step"} to discover, or a hashed step id to run that planned step only
     * @param request the parsed body
     * @param raw     the HTTP request, or null in-process
     */
    public CallResult call(String fnId, String stepId, CallRequest request, RawRequest raw) {
        return engine.call(fnId, stepId, request, raw, null);
    }

    /**
     * As {@link #call(String, String, CallRequest, RawRequest)}, checkpointing through {@code checkpoints}
     * when the request and the function's {@link Checkpointing} allow it: sequential steps then run back to
     * back on this call and are reported to the executor's checkpoint API as they finish.
     *
     * @param checkpoints the executor's checkpoint API, or null for none (the classic protocol)
     */
    public CallResult call(String fnId, String stepId, CallRequest request, RawRequest raw, CheckpointApi checkpoints) {
        return engine.call(fnId, stepId, request, raw, checkpoints);
    }

    /**
     * Runs a call of {@code fn}, a function that is not among this app's (no executor syncs it): what a
     * durable endpoint does with its handler. Otherwise as {@link #call(String, String, CallRequest, RawRequest, CheckpointApi)}.
     *
     * @param fnId the id the run is known by
     */
    public CallResult callUnlisted(Function<?, ?> fn, String fnId, String stepId, CallRequest request, RawRequest raw,
                                   CheckpointApi checkpoints) {
        return engine.callUnlisted(java.util.Objects.requireNonNull(fn, "fn"), fnId, stepId, request, raw, checkpoints);
    }

    /** The app configuration to register with the executor, for an endpoint served at {@code url}. */
    public SyncRequest syncRequest(String url, String framework) {
        return SyncConfigs.syncRequest(this, url, framework, appVersion);
    }

    /** Sends events to the event API (through middleware) and returns their ids. */
    public List<String> send(Event... events) {
        return engine.send(new ArrayList<>(Arrays.asList(events)), middleware);
    }

    /** Sends events to the event API (through middleware) and returns their ids. */
    public List<String> send(Collection<Event> events) {
        return engine.send(new ArrayList<>(events), middleware);
    }

    /**
     * Publishes {@code data} (written by the app's mapper) to {@code topic} of realtime channel {@code channel}
     * through the Inngest API's {@code POST /v1/realtime/publish}: every subscriber of that channel and topic
     * receives it at once. Not durable (from inside a run, use {@link Step#publish}, which publishes once
     * however often the run replays); a failure is thrown. Called from a function's code or a step body, the
     * message names that run, as the JS SDK's client publish does.
     *
     * <pre>{@code
     * app.publish("orders/" + orderId, "status", new Status("packed"));
     * }</pre>
     */
    public void publish(String channel, String topic, Object data) {
        engine.publish(channel, topic, data);
    }

    /**
     * A subscription token for {@code topics} of {@code channel} ({@code POST /v1/realtime/token} of the
     * Inngest API): a JWT valid for a minute to connect with, scoped to exactly that channel and those topics.
     * Hand it to a browser (the JS SDK's {@code subscribe({key})}) or to loomstep-http's {@code RealtimeSubscription}.
     */
    public String subscriptionToken(String channel, List<String> topics) {
        return engine.subscriptionToken(channel, topics);
    }

    /**
     * Sends a signal to the run waiting for it ({@link Step#waitForSignal}) through the Inngest API's
     * {@code POST /v1/signals}, and returns that run's id; empty when no run waits for {@code signal}, which
     * is not an error (the API answers 404 then, and the signal is dropped).
     *
     * <pre>{@code
     * app.sendSignal("approve/order-" + orderId, new Approval("alice"));
     * }</pre>
     */
    public Optional<String> sendSignal(String signal, Object data) {
        return engine.sendSignal(signal, data);
    }

    /**
     * The metadata of run {@code runId} (this app's or another's), sent through the Inngest API's
     * {@code POST /v1/runs/{runId}/metadata}; see {@link dev.loomstep.metadata.RunMetadata}.
     *
     * <pre>{@code
     * app.metadata(ctx.runId()).set(Map.of("status", "charging"));
     * app.metadata(ctx.runId()).step("charge").set(Map.of("gateway", "stripe"));
     * }</pre>
     */
    public dev.loomstep.metadata.RunMetadata metadata(String runId) {
        return dev.loomstep.metadata.RunMetadata.of(eventSender, objectMapper(), runId);
    }

    /** Builds a {@link Loomstep}; configuration starts from the environment. */
    public static final class Builder {
        private final String appId;
        private String appVersion;
        private Config config = Config.fromEnvironment();
        private final List<Function<?, ?>> functions = new ArrayList<>();
        private final List<Middleware> middleware = new ArrayList<>();
        private EventSender eventSender;
        private Checkpointing checkpointing = Checkpointing.defaults();
        private ObjectMapper objectMapper;

        private Builder(String appId) {
            this.appId = Checks.notBlank(appId, "an app id");
        }

        public Builder functions(Function<?, ?>... fns) {
            for (Function<?, ?> fn : fns) {
                functions.add(Checks.notNull(fn, "a function"));
            }
            return this;
        }

        public Builder functions(Collection<? extends Function<?, ?>> fns) {
            fns.forEach(this::functions);
            return this;
        }

        /** Client-level middleware: runs for every function, outside function-level middleware. */
        public Builder middleware(Middleware m) {
            middleware.add(Checks.notNull(m, "a middleware"));
            return this;
        }

        /** Replaces the whole configuration (default: {@link Config#fromEnvironment()}). */
        public Builder config(Config c) {
            config = Checks.notNull(c, "a config");
            return this;
        }

        /** Dev mode against a dev server at {@code origin} (null: http://localhost:8288). */
        public Builder dev(String origin) {
            config = config.withDev(true, origin == null ? Config.DEV_SERVER_ORIGIN : origin);
            return this;
        }

        /**
         * Cloud mode: signatures are verified and required. Origins that point at the default dev server
         * (what {@code INNGEST_DEV=1} gives) become Inngest Cloud's, so a stray {@code INNGEST_DEV} in the
         * environment cannot send production events to localhost; other origins (a self-hosted server's
         * {@code INNGEST_BASE_URL}, {@link #apiOrigin}) are kept.
         */
        public Builder cloud() {
            config = config.withDev(false, null);
            if (Config.DEV_SERVER_ORIGIN.equals(config.apiOrigin())) {
                config = config.withApiOrigin(Config.CLOUD_API_ORIGIN);
            }
            if (Config.DEV_SERVER_ORIGIN.equals(config.eventApiOrigin())) {
                config = config.withEventApiOrigin(Config.CLOUD_EVENT_API_ORIGIN);
            }
            return this;
        }

        public Builder apiOrigin(String origin) {
            config = config.withApiOrigin(origin);
            return this;
        }

        public Builder eventApiOrigin(String origin) {
            config = config.withEventApiOrigin(origin);
            return this;
        }

        public Builder eventKey(String key) {
            config = config.withEventKey(key);
            return this;
        }

        public Builder signingKey(String key) {
            config = config.withSigningKeys(key, config.signingKeyFallback());
            return this;
        }

        public Builder signingKeyFallback(String key) {
            config = config.withSigningKeys(config.signingKey(), key);
            return this;
        }

        public Builder env(String env) {
            config = config.withEnv(env);
            return this;
        }

        /** The public origin and path this app is served at, when they differ from what requests show. */
        public Builder serve(String origin, String path) {
            config = config.withServe(origin, path);
            return this;
        }

        public Builder appVersion(String version) {
            appVersion = version;
            return this;
        }

        public Builder eventSender(EventSender sender) {
            eventSender = sender;
            return this;
        }

        /** Checkpointing for every function of the app (default {@link Checkpointing#defaults()}, on). */
        public Builder checkpointing(Checkpointing c) {
            checkpointing = Checks.notNull(c, "checkpointing");
            return this;
        }

        /**
         * The Jackson mapper for the app's <em>user values</em>: what steps return, the data a function or
         * {@code waitForEvent} binds event data to, what a function returns, what {@code invoke} sends and
         * gets back. Use it to apply your modules, custom serializers or naming strategy to your data (the
         * Spring Boot starter passes Spring's {@code ObjectMapper}). Default: Loomstep's own mapper.
         *
         * <p>The wire format never depends on it: the protocol's own JSON (op envelopes, errors, events,
         * the sync payload) is always written and read with Loomstep's mapper, so no naming strategy or
         * inclusion rule configured here can change what the executor sees around your data. Only the
         * JSON of the values themselves (an op's {@code data}, the function's result) is this mapper's.
         * Configure it before building the app and do not change it afterwards: readers and writers are
         * cached per type. {@link Event#of} and {@link Event#dataAs} use Loomstep's mapper (an event
         * needs no app); build events with {@link Loomstep#event} to write their data with this one.
         */
        public Builder objectMapper(ObjectMapper mapper) {
            objectMapper = Checks.notNull(mapper, "an object mapper");
            return this;
        }

        public Loomstep build() {
            return new Loomstep(this);
        }
    }

}
