package dev.loomstep.devserver.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loomstep.Event;
import dev.loomstep.Loomstep;
import dev.loomstep.devserver.auth.ApiAccess;
import dev.loomstep.devserver.auth.ServiceKeys;
import dev.loomstep.devserver.connect.ConnectApi;
import dev.loomstep.devserver.connect.ConnectGateway;
import dev.loomstep.devserver.endpoint.EndpointRuns;
import dev.loomstep.devserver.executor.Checkpoints;
import dev.loomstep.devserver.executor.Lifecycle;
import dev.loomstep.devserver.executor.RunTraces;
import dev.loomstep.devserver.executor.Registry;
import dev.loomstep.devserver.store.AppRecord;
import dev.loomstep.devserver.internal.Ulid;
import dev.loomstep.devserver.store.FunctionRecord;
import dev.loomstep.devserver.store.Store;
import dev.loomstep.protocol.Headers;
import dev.loomstep.protocol.Json;
import io.undertow.Handlers;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.RequestTooBigException;
import io.undertow.server.RoutingHandler;
import io.undertow.util.HttpString;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The devserver's HTTP API on Undertow: the web UI ({@code /}), the event API ({@code POST /e/{key}}), syncs
 * ({@code POST /fn/register}), health, and the REST API over runs, events, functions and apps. Every
 * handler runs on a virtual thread (the IO threads only dispatch), and every failure is answered here,
 * in one place, as one line of JSON: {@code {"error": "...", "status": N}}. The MCP endpoint it is given
 * ({@link #mcp}) is mounted at {@code /mcp} behind the same gate, and answers in JSON-RPC itself.
 */
public final class HttpApi {
    private static final Logger LOG = LoggerFactory.getLogger(HttpApi.class);
    private static final HttpString SERVER_KIND = new HttpString(Headers.SERVER_KIND);
    private static final HttpString EXPECTED_SERVER_KIND = new HttpString(Headers.EXPECTED_SERVER_KIND);
    /** The largest request body taken (events, syncs); a larger one is refused with 413. */
    public static final long MAX_BODY_BYTES = 64L * 1024 * 1024;

    private final Lifecycle lifecycle;
    private final Registry registry;
    private final Store store;
    private final ExecutorService handlers = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("loomstep-dev-http-", 0).factory());
    /** Syncs replace function sets; one at a time keeps "what was removed" exact. */
    private final ReentrantLock syncLock = new ReentrantLock();
    private final WebUi ui = new WebUi();
    private final Checkpoints checkpoints;
    private final SyncStatus syncs = new SyncStatus();
    private volatile dev.loomstep.devserver.executor.AppHealth appHealth;
    private volatile java.util.function.Consumer<String> inspectAfterSync;
    private final RunView runView;
    private final RunRoutes runs;
    private final FunctionRoutes functions;
    private final AppRoutes apps;
    private volatile HttpHandler mcp;
    private volatile EndpointRuns endpoints;
    /** Production mode's keys (the gate in front of every route); null in dev mode. */
    private final ServiceKeys keys;
    private final ApiAccess access;
    private volatile ConnectGateway connect;
    private volatile ConnectApi connectApi;
    /** {@code GET /metrics}; null: not served. */
    private volatile HttpHandler metrics;
    /** The realtime API ({@code /v1/realtime/*}) and its in-memory fan-out. */
    private final dev.loomstep.devserver.realtime.RealtimeApi realtime;
    /** What this server says it is ({@code X-Inngest-Server-Kind}): "dev", or "cloud" in production mode, as SDKs in cloud mode expect. */
    private final String serverKind;

    /** A handler of one route: its answer is sent as JSON with status 200; an {@link ApiException} sets another. */
    @FunctionalInterface
    interface Route {
        Object handle(HttpServerExchange ex, byte[] body) throws Exception;
    }

    /** @param checkpoints the checkpoint API's logic, sharing the executor's calls in flight */
    public HttpApi(Lifecycle lifecycle, Checkpoints checkpoints) {
        this(lifecycle, checkpoints, null, ApiAccess.LOOPBACK_OR_KEY);
    }

    /**
     * @param keys   production mode's keys, or null for dev mode (no keys asked for)
     * @param access who may read the REST API and the UI in production mode
     */
    public HttpApi(Lifecycle lifecycle, Checkpoints checkpoints, ServiceKeys keys, ApiAccess access) {
        this.keys = keys;
        this.access = access;
        this.serverKind = keys == null ? "dev" : "cloud";
        this.checkpoints = checkpoints;
        this.lifecycle = lifecycle;
        this.registry = lifecycle.registry();
        this.store = lifecycle.store();
        this.runView = new RunView(lifecycle);
        this.runs = new RunRoutes(lifecycle, runView);
        this.functions = new FunctionRoutes(lifecycle, runView);
        this.apps = new AppRoutes(lifecycle, syncs, serverKind, () -> connect, () -> appHealth);
        this.realtime = new dev.loomstep.devserver.realtime.RealtimeApi(
                new dev.loomstep.devserver.realtime.Broadcaster(dev.loomstep.devserver.realtime.Broadcaster.DEFAULT_BUFFER),
                new dev.loomstep.devserver.realtime.Tokens(keys == null ? dev.loomstep.devserver.realtime.Tokens.DEV_SECRET
                        : keys.derive("realtime-token"), lifecycle.clock()), lifecycle.clock(), handlers);
    }

    /** The realtime API's fan-out (what was published, who listens). */
    public dev.loomstep.devserver.realtime.Broadcaster realtime() {
        return realtime.broadcaster();
    }

    /** The REST API's operations with plain arguments, for callers that are not HTTP routes (the MCP tools). */
    public DevApi operations() {
        return new DevApi(this, runs, functions, apps);
    }

    /** Serves the durable endpoints' sync checkpoint and output routes; call before {@link #handler()}. */
    public void endpoints(EndpointRuns runs) {
        this.endpoints = runs;
    }

    /** Serves {@code handler} at {@code /mcp}, behind the same gate as the REST API; call before {@link #handler()}. */
    public void mcp(HttpHandler handler) {
        this.mcp = handler;
    }

    public HttpHandler handler() {
        HttpHandler notFound = blocking((ex, b) -> {
            throw ApiException.notFound("no such endpoint: " + ex.getRequestMethod() + " " + ex.getRequestPath());
        });
        RoutingHandler r = Handlers.routing()
                .get("/", ui.index())
                .get("/ui/{file}", ui.asset(notFound))
                .get("/favicon.ico", ui.favicon())
                .post("/e/{key}", blocking(this::events))
                .post("/e", blocking((ex, b) -> checkEventKey("")))
                .post("/e/", blocking((ex, b) -> checkEventKey("")))
                .post("/fn/register", blocking(this::register))
                .get("/health", blocking((ex, b) -> Json.nodes().objectNode().put("status", 200).put("message", "OK")))
                .get("/dev", blocking(this::info))
                .post("/v1/checkpoint/{runId}/async", blocking(this::checkpointAsync))
                .post("/v0/connect/start", blocking(this::connectStart))
                .post("/v0/connect/flush", blocking(this::connectFlush));
        if (metrics != null) {
            r.get("/metrics", metrics);
        }
        // The REST API, one class per resource.
        runs.addTo(r, this);
        new EventRoutes(lifecycle, runView).addTo(r, this);
        functions.addTo(r, this);
        apps.addTo(r, this);
        new SignalRoutes(lifecycle).addTo(r, this);
        new TraceRoutes(lifecycle).addTo(r, this);
        if (mcp != null) {
            // MCP's Streamable HTTP answers every method on one path itself (POST, and 405 for GET and DELETE).
            r.add("POST", "/mcp", mcp).add("GET", "/mcp", mcp).add("DELETE", "/mcp", mcp);
        }
        new MetadataRoutes(lifecycle).addTo(r, this);
        realtime.addTo(r);
        if (endpoints != null) {
            new EndpointRoutes(endpoints, lifecycle).addTo(r, this);
        }
        r.setFallbackHandler(notFound).setInvalidMethodHandler(blocking((ex, b) -> {
            throw new ApiException(405, ex.getRequestMethod() + " is not allowed on " + ex.getRequestPath());
        }));
        HttpHandler routed = Rest.routedAsReceived(r);
        return keys == null ? routed : new Access(routed, keys, access);
    }

    public void close() {
        realtime.close();
        handlers.shutdownNow();
    }

    // ---------------------------------------------------------------- plumbing

    /**
     * The route as a handler that runs on a virtual thread and answers every outcome as JSON. The body is
     * gathered on the IO thread first, without blocking, and the route is dispatched once with all of it:
     * a client that writes its headers and its body apart (the JDK's HTTP client does) would otherwise
     * park the virtual thread in a blocking read and wake it from the IO thread again, two thread hops
     * on every checkpoint, which a loaded machine turns into milliseconds.
     */
    HttpHandler blocking(Route route) {
        return ex -> {
            long declared = ex.getRequestContentLength();
            if (declared > MAX_BODY_BYTES) {
                ex.dispatch(handlers, () -> answer(ex, route, null, tooLarge(declared)));
                return;
            }
            ex.setMaxEntitySize(MAX_BODY_BYTES);
            ex.getRequestReceiver().receiveFullBytes(
                    (e, body) -> e.dispatch(handlers, () -> answer(e, route, body, null)),
                    (e, error) -> e.dispatch(handlers, () -> answer(e, route, null, error instanceof RequestTooBigException
                            ? tooLarge(-1)
                            : new ApiException(400, "could not read the request body: " + error.getMessage()))));
        };
    }

    /** Runs the route on a virtual thread (or answers why the body could not be read) and writes the answer. */
    private void answer(HttpServerExchange ex, Route route, byte[] in, ApiException unread) {
        ex.getResponseHeaders().put(SERVER_KIND, serverKind);
        ex.getResponseHeaders().put(new HttpString(Headers.SDK), "loomstep-devserver:v" + Loomstep.VERSION);
        int status;
        Object body;
        try {
            if (unread != null) {
                throw unread;
            }
            body = route.handle(ex, in);
            status = 200;
        } catch (ApiException e) {
            status = e.status();
            body = error(e.status(), e.getMessage());
        } catch (Exception e) {
            LOG.error("{} {} failed", ex.getRequestMethod(), ex.getRequestPath(), e);
            status = 500;
            body = error(500, "internal error: " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage().lines().findFirst().orElse("")));
        }
        if (body instanceof RawAnswer raw) {
            status = raw.status();
        }
        ex.setStatusCode(status);
        if (status == 413 || unread != null) {
            // The unread body may still be on the connection: close it rather than parse the rest as a request.
            ex.setPersistent(false);
        }
        byte[] bytes;
        if (body instanceof com.google.protobuf.MessageLite proto) {
            ex.getResponseHeaders().put(io.undertow.util.Headers.CONTENT_TYPE, "application/protobuf");
            bytes = proto.toByteArray();
        } else if (body instanceof RawAnswer raw) {
            raw.headers().forEach((k, v) -> ex.getResponseHeaders().put(HttpString.tryFromString(k), v));
            bytes = raw.body();
        } else {
            ex.getResponseHeaders().put(io.undertow.util.Headers.CONTENT_TYPE, "application/json");
            bytes = Json.toBytes(body);
        }
        ex.setResponseContentLength(bytes.length);
        send(ex, bytes);
    }

    /**
     * Writes the answer from the connection's IO thread, which then ends the exchange there. Ended on the
     * virtual thread instead, the exchange would hold Undertow's per-connection request state while the
     * client, already holding the answer, sends its next request on the same connection: the IO thread
     * spins on that state until the virtual thread is done (measured: a tenth of the devserver's CPU at
     * 1,000 concurrent runs, on two cores where that thread's carrier is often descheduled).
     */
    private static void send(HttpServerExchange ex, byte[] bytes) {
        ByteBuffer out = ByteBuffer.wrap(bytes);
        if (ex.isInIoThread()) {
            ex.getResponseSender().send(out);
        } else {
            ex.getIoThread().execute(() -> ex.getResponseSender().send(out));
        }
    }

    private static ApiException tooLarge(long length) {
        return new ApiException(413, "the request body is too large" + (length < 0 ? "" : " (" + length + " bytes)")
                + ": the limit is " + MAX_BODY_BYTES / (1024 * 1024) + " MiB; send fewer or smaller events at a time");
    }

    /** The longest error line sent: a message quoting a hostile value (a 7,000-character id) is cut, not echoed. */
    static final int MAX_ERROR_CHARS = 1_000;

    private static ObjectNode error(int status, String message) {
        String line = message == null ? "error" : message.replace('\r', ' ').replace('\n', ' ');
        if (line.length() > MAX_ERROR_CHARS) {
            line = line.substring(0, MAX_ERROR_CHARS) + "… (" + line.length() + " characters)";
        }
        return Json.nodes().objectNode().put("error", line).put("status", status);
    }

    // ---------------------------------------------------------------- events and syncs

    /** Event keys: what Inngest keys, SDK dev placeholders ({@code NO_EVENT_KEY_SET}, {@code dev}) and {@code dev-ui} look like. */
    /** Event names the executor alone emits; the public event API refuses them. */
    static final String RESERVED_PREFIX = "inngest/";
    private static final Pattern EVENT_KEY = Pattern.compile("[A-Za-z0-9._~-]{1,256}");

    private Object events(HttpServerExchange ex, byte[] body) {
        Deque<String> keys = ex.getQueryParameters().get("key");
        checkEventKey(keys == null || keys.isEmpty() ? "" : keys.getFirst());
        return send(Rest.parseJson(body, "events"), RunTraces.validTraceparent(ex.getRequestHeaders().getFirst("traceparent")));
    }

    /** As {@link #send(JsonNode, String)} with no trace context (the MCP tool's events). */
    ObjectNode send(JsonNode tree) {
        return send(tree, null);
    }

    /**
     * Validates and ingests one event or an array of them, all or none: {@code {ids, status}}. The runs they
     * start join {@code traceparent}'s trace when it is a valid W3C one (else null: their own).
     */
    ObjectNode send(JsonNode tree, String traceparent) {
        List<JsonNode> items = new ArrayList<>();
        if (tree.isArray()) {
            tree.forEach(items::add);
        } else if (tree.isObject()) {
            items.add(tree);
        } else {
            throw ApiException.badRequest("events: expected an event object or an array of events, got " + tree.getNodeType());
        }
        if (items.isEmpty()) {
            throw ApiException.badRequest("events: the array is empty; send at least one event");
        }
        long now = lifecycle.clock().millis();
        var events = new ArrayList<Event>();
        for (int i = 0; i < items.size(); i++) {
            events.add(event(items.get(i), i, items.size(), now));
        }
        lifecycle.ingest(events, traceparent);
        ArrayNode ids = Json.nodes().arrayNode();
        events.forEach(e -> ids.add(e.id()));
        ObjectNode out = Json.nodes().objectNode();
        out.set("ids", ids);
        out.put("status", 200);
        return out;
    }

    /** Refuses (400) a key that is empty, over 256 characters, or has characters other than A-Z a-z 0-9 . _ ~ -. */
    private static Object checkEventKey(String key) {
        if (!EVENT_KEY.matcher(key).matches()) {
            throw ApiException.badRequest("event key: must be 1 to 256 URL-safe characters (A-Z a-z 0-9 . _ ~ -), got "
                    + (key.isEmpty() ? "an empty key" : key.length() > 256 ? key.length() + " characters" : "\"" + printable(key) + "\""));
        }
        return null;
    }

    /** The key as the error message quotes it: control characters shown as '?', so the error stays one line. */
    private static String printable(String key) {
        StringBuilder sb = new StringBuilder();
        key.codePoints().forEach(c -> sb.appendCodePoint(Character.isISOControl(c) ? '?' : c));
        return sb.toString();
    }

    private static Event event(JsonNode n, int index, int count, long now) {
        String where = count == 1 ? "event" : "event " + index;
        if (!n.isObject()) {
            throw ApiException.badRequest(where + ": expected a JSON object, got " + n.getNodeType());
        }
        JsonNode name = n.get("name");
        if (name == null || !name.isTextual() || name.asText().isBlank()) {
            throw ApiException.badRequest(where + ": \"name\" is required and must be a non-empty string");
        }
        // As Inngest's event API does: inngest/* names are the executor's own (function.failed, invoked, ...);
        // taking them from outside would let anyone start an app's onFailure handler with forged data.
        if (name.asText().startsWith(RESERVED_PREFIX)) {
            throw ApiException.badRequest(where + ": the name \"" + printable(name.asText()) + "\" is reserved for internal use (names starting with \""
                    + RESERVED_PREFIX + "\" are sent by the executor only)");
        }
        JsonNode data = n.get("data");
        if (data != null && !data.isNull() && !data.isObject()) {
            throw ApiException.badRequest(where + " (" + name.asText() + "): \"data\" must be a JSON object, got " + data.getNodeType());
        }
        JsonNode id = n.get("id");
        if (id != null && !id.isNull() && !id.isTextual()) {
            throw ApiException.badRequest(where + " (" + name.asText() + "): \"id\" must be a string");
        }
        JsonNode ts = n.get("ts");
        if (ts != null && !ts.isNull() && !ts.canConvertToLong()) {
            throw ApiException.badRequest(where + " (" + name.asText() + "): \"ts\" must be milliseconds since the epoch");
        }
        JsonNode v = n.get("v");
        JsonNode user = n.get("user");
        String eventId = id == null || id.isNull() || id.asText().isBlank() ? Ulid.next() : id.asText();
        long at = ts == null || ts.isNull() || ts.asLong() <= 0 ? now : ts.asLong();
        return new Event(eventId, name.asText(), data == null || data.isNull() ? null : (ObjectNode) data,
                user == null || user.isNull() ? null : user, at, v == null || v.isNull() ? null : v.asText());
    }

    private Object register(HttpServerExchange ex, byte[] body) {
        String expected = ex.getRequestHeaders().getFirst(EXPECTED_SERVER_KIND);
        if (expected != null && !expected.isBlank() && !serverKind.equalsIgnoreCase(expected.trim())) {
            throw ApiException.badRequest("the SDK expects a \"" + expected + "\" server, but this is a " + serverKind + " server"
                    + (keys == null ? " (an SDK in cloud mode syncs with the devserver in production mode)" : " (production mode)"));
        }
        JsonNode tree = Rest.parseJson(body, "sync");
        Registry.Sync sync;
        try {
            sync = Registry.parseSync(tree, System.currentTimeMillis());
        } catch (IllegalArgumentException e) {
            // Kept as the app's last sync error only when the body names an app and its URL: an SDK with a bad
            // function config. A body without them is not an app, and lists nothing on GET /v1/apps.
            JsonNode app = Registry.withAppName(tree).path("appName");
            JsonNode url = tree.path("url");
            if (app.isTextual() && !app.asText().isBlank() && url.isTextual() && url.asText().matches("https?://[^\\s/?#]+.*")) {
                syncs.failed(app.asText(), url.asText(), e.getMessage(), lifecycle.clock().instant());
            }
            throw ApiException.badRequest(e.getMessage());
        }
        String conflict = syncConflict(sync);
        if (conflict != null) {
            throw new ApiException(409, conflict);
        }
        boolean modified = commitSync(sync);
        var inspect = inspectAfterSync;
        if (inspect != null && !sync.app().connect()) {
            inspect.accept(sync.app().url());
        }
        LOG.info("synced app {} from {}: {} function(s){}", sync.app().id(), sync.app().url(), sync.functions().size(),
                modified ? "" : " (unchanged)");
        return Json.nodes().objectNode().put("ok", true).put("modified", modified)
                .put("app_id", sync.app().id()).put("sync_id", Ulid.next());
    }

    /**
     * Saves a validated sync — from {@code POST /fn/register} or a Connect worker's WORKER_CONNECT — and
     * reschedules crons; true when it changed the app (its URL, or a function added, removed or changed).
     */
    public boolean commitSync(Registry.Sync sync) {
        boolean modified;
        syncLock.lock();
        try {
            Map<String, FunctionRecord> before = new HashMap<>();
            for (FunctionRecord f : registry.functions()) {
                if (f.appId().equals(sync.app().id())) {
                    before.put(f.id(), f);
                }
            }
            String oldUrl = store.apps().stream().filter(a -> a.id().equals(sync.app().id())).map(a -> a.url()).findFirst().orElse(null);
            store.txRun(() -> {
                store.upsertApp(sync.app());
                store.replaceFunctions(sync.app().id(), sync.functions());
            });
            registry.reload();
            Set<String> removed = new HashSet<>(before.keySet());
            modified = !Objects.equals(oldUrl, sync.app().url()) || before.size() != sync.functions().size();
            for (FunctionRecord f : sync.functions()) {
                removed.remove(f.id());
                FunctionRecord old = before.get(f.id());
                modified |= old == null || !Json.toTree(old.config()).equals(Json.toTree(f.config()));
            }
            lifecycle.scheduleCrons(List.copyOf(removed));
            syncs.synced(sync.app().id());
        } finally {
            syncLock.unlock();
        }
        return modified;
    }

    /**
     * Removes an app and its functions, as the UI's Delete does: their crons stop and new events start
     * none of their runs; runs already made stay. False when there was no such app (nor a failed sync of it).
     */
    public boolean deleteApp(String appId) {
        syncLock.lock();
        try {
            List<String> removed = registry.functions().stream().filter(f -> f.appId().equals(appId)).map(FunctionRecord::id).toList();
            boolean existed = store.deleteApp(appId);
            boolean failed = syncs.failure(appId).isPresent();
            registry.reload();
            lifecycle.scheduleCrons(removed);
            syncs.synced(appId);
            return existed || failed;
        } finally {
            syncLock.unlock();
        }
    }

    /**
     * Why {@code sync} may not replace the app of the same id, or null: an HTTP app and Connect workers with
     * one app id would silently take each other's functions. An HTTP sync may take over an app whose workers
     * have all gone; a worker never takes over an HTTP app. The refusal is logged and kept as the app's last
     * sync error, so the apps list shows it.
     */
    public String syncConflict(Registry.Sync sync) {
        String id = sync.app().id();
        AppRecord existing = store.apps().stream().filter(a -> a.id().equals(id)).findFirst().orElse(null);
        if (existing == null || existing.connect() == sync.app().connect()) {
            return null;
        }
        String conflict;
        if (existing.connect()) {
            int workers = connect == null ? 0 : connect.connections(id).size();
            if (workers == 0) {
                return null;
            }
            conflict = "app \"" + id + "\" is served by " + workers + " Connect worker(s); the HTTP app at " + sync.app().url()
                    + " syncs with the same app id and would replace their functions: give one of them another app id"
                    + " (Loomstep.builder(id)), or stop the workers first";
        } else {
            conflict = "app \"" + id + "\" is an HTTP app at " + existing.url() + "; a Connect worker (" + sync.app().sdk()
                    + ") connects with the same app id and would replace its functions: give one of them another app id"
                    + " (Loomstep.builder(id))";
        }
        LOG.warn("sync refused: {}", conflict);
        syncs.failed(id, existing.connect() ? AppRecord.CONNECT : existing.url(), conflict, lifecycle.clock().instant());
        return conflict;
    }

    /** Keeps a refused sync as the app's last sync error (shown on {@code GET /v1/apps}). */
    public void syncFailed(String appId, String url, String reason) {
        syncs.failed(appId, url, reason, lifecycle.clock().instant());
    }

    /** Asks an HTTP app just synced how it is configured (see {@code SdkClient.inspectAfterSync}); null: nobody asks. */
    public void inspectAfterSync(java.util.function.Consumer<String> inspect) {
        this.inspectAfterSync = inspect;
    }

    /** Where the apps list learns which apps refuse this devserver's calls (null: nobody calls apps). */
    public void appHealth(dev.loomstep.devserver.executor.AppHealth health) {
        this.appHealth = health;
    }

    /** Serves {@code GET /metrics} with {@code handler}; set before {@link #handler()}. */
    public void metrics(HttpHandler handler) {
        this.metrics = handler;
    }

    /** Connect's start and flush endpoints, and the connections the apps list shows; null: Connect is off. */
    public void connect(ConnectGateway gateway) {
        this.connect = gateway;
        this.connectApi = gateway == null ? null : new ConnectApi(gateway);
    }

    private Object connectStart(HttpServerExchange ex, byte[] body) {
        if (connectApi == null) {
            throw new ApiException(503, "this devserver runs without its Connect gateway (--no-connect)");
        }
        try {
            return connectApi.start(body, ex.getHostName());
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage());
        }
    }

    private Object connectFlush(HttpServerExchange ex, byte[] body) {
        if (connectApi == null) {
            throw new ApiException(503, "this devserver runs without its Connect gateway (--no-connect)");
        }
        try {
            return connectApi.flush(body);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage());
        }
    }

    private Object info(HttpServerExchange ex, byte[] body) {
        ObjectNode o = Json.nodes().objectNode();
        o.put("version", Loomstep.VERSION);
        o.put("server_kind", "dev");
        o.put("database", store.description());
        o.set("checkpoints", checkpoints.stats());
        o.putObject("store").put("commits", store.commits()).put("units", store.units());
        var q = lifecycle.queueStats();
        o.putObject("queue").put("held", q.held()).put("running", q.running()).put("peak_held", q.peakHeld())
                .put("window", q.window()).put("pages_read", q.pagesRead());
        var t = lifecycle.targetedCallStats();
        o.putObject("targeted_calls").put("state_reads", t.stateReads()).put("state_reuses", t.stateReuses());
        ArrayNode fns = o.putArray("functions");
        registry.functions().forEach(f -> fns.add(Views.function(f)));
        return o;
    }

    /** An SDK reports steps it ran within the call in flight; answered once they are committed. */
    private Object checkpointAsync(HttpServerExchange ex, byte[] body) {
        String runId = ex.getQueryParameters().get("runId").getFirst();
        JsonNode input = Rest.parseJson(body, "invalid checkpoint");
        try {
            int committed = checkpoints.checkpointAsync(runId, input,
                    ex.getRequestHeaders().getFirst(io.undertow.util.Headers.AUTHORIZATION));
            return Json.nodes().objectNode().put("status", 200).put("run_id", runId).put("committed", committed);
        } catch (Checkpoints.Refused e) {
            throw new ApiException(e.status(), e.getMessage());
        }
    }
}
