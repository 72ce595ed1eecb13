package dev.loomstep.devserver.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loomstep.Event;
import dev.loomstep.Loomstep;
import dev.loomstep.devserver.executor.Lifecycle;
import dev.loomstep.devserver.executor.Registry;
import dev.loomstep.devserver.internal.Ulid;
import dev.loomstep.devserver.store.FunctionRecord;
import dev.loomstep.devserver.store.RunRecord;
import dev.loomstep.devserver.store.RunStatus;
import dev.loomstep.devserver.store.StepRecord;
import dev.loomstep.devserver.store.Store;
import dev.loomstep.protocol.Headers;
import dev.loomstep.protocol.Json;
import io.undertow.Handlers;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.RequestTooBigException;
import io.undertow.server.RoutingHandler;
import io.undertow.util.HttpString;
import java.io.IOException;
import java.io.OutputStream;
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
import java.util.regex.Pattern;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The devserver's HTTP API on Undertow: the web UI ({@code /}), the event API ({@code POST /e/{key}}), syncs
 * ({@code POST /fn/register}), health, and the REST API over runs, events, functions and apps. Every
 * handler runs on a virtual thread (the IO threads only dispatch), and every failure is answered here,
 * in one place, as one line of JSON: {@code {"error": "...", "status": N}}.
 */
public final class HttpApi {
    private static final Logger LOG = LoggerFactory.getLogger(HttpApi.class);
    private static final HttpString SERVER_KIND = new HttpString(Headers.SERVER_KIND);
    private static final HttpString EXPECTED_SERVER_KIND = new HttpString(Headers.EXPECTED_SERVER_KIND);
    private static final int DEFAULT_LIMIT = 100;
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

    @FunctionalInterface
    private interface Route {
        Object handle(HttpServerExchange ex, byte[] body) throws Exception;
    }

    public HttpApi(Lifecycle lifecycle) {
        this.lifecycle = lifecycle;
        this.registry = lifecycle.registry();
        this.store = lifecycle.store();
    }

    public HttpHandler handler() {
        HttpHandler notFound = blocking((ex, b) -> {
            throw ApiException.notFound("no such endpoint: " + ex.getRequestMethod() + " " + ex.getRequestPath());
        });
        RoutingHandler r = Handlers.routing()
                .get("/", ui.index())
                .get("/ui/{file}", ui.asset(notFound))
                .post("/e/{key}", blocking(this::events))
                .post("/e", blocking((ex, b) -> checkEventKey("")))
                .post("/e/", blocking((ex, b) -> checkEventKey("")))
                .post("/fn/register", blocking(this::register))
                .get("/health", blocking((ex, b) -> Json.nodes().objectNode().put("status", 200).put("message", "OK")))
                .get("/dev", blocking(this::info))
                .get("/v1/events", blocking(this::listEvents))
                .get("/v1/events/{eventId}", blocking(this::getEvent))
                .get("/v1/events/{eventId}/runs", blocking(this::eventRuns))
                .get("/v1/events/{eventId}/runs/ended", blocking(this::eventRunsEnded))
                .get("/v1/runs", blocking(this::listRuns))
                .get("/v1/runs/{runId}", blocking(this::getRun))
                .post("/v1/runs/{runId}/cancel", blocking(this::cancelRun))
                .delete("/v1/runs/{runId}", blocking(this::cancelRun))
                .delete("/v0/runs/{runId}", blocking(this::cancelRun))
                .get("/v0/runs/{runId}/batch", blocking(this::batch))
                .get("/v0/runs/{runId}/actions", blocking(this::actions))
                .get("/v1/functions", blocking(this::functions))
                .get("/v1/apps", blocking(this::apps))
                .setFallbackHandler(notFound)
                .setInvalidMethodHandler(blocking((ex, b) -> {
                    throw new ApiException(405, ex.getRequestMethod() + " is not allowed on " + ex.getRequestPath());
                }));
        return r;
    }

    public void close() {
        handlers.shutdownNow();
    }

    // ---------------------------------------------------------------- plumbing

    private HttpHandler blocking(Route route) {
        return new HttpHandler() {
            @Override
            public void handleRequest(HttpServerExchange ex) {
                if (ex.isInIoThread()) {
                    ex.dispatch(handlers, this);
                    return;
                }
                ex.startBlocking();
                ex.getResponseHeaders().put(SERVER_KIND, "dev");
                ex.getResponseHeaders().put(new HttpString(Headers.SDK), "loomstep-devserver:v" + Loomstep.VERSION);
                int status;
                Object body;
                try {
                    if (ex.getRequestContentLength() > MAX_BODY_BYTES) {
                        throw tooLarge(ex.getRequestContentLength());
                    }
                    byte[] in;
                    try {
                        in = ex.getInputStream().readAllBytes();
                    } catch (RequestTooBigException e) {
                        throw tooLarge(-1);
                    }
                    body = route.handle(ex, in);
                    status = 200;
                } catch (ApiException e) {
                    status = e.status();
                    body = error(e.status(), e.getMessage());
                } catch (IOException e) {
                    status = 400;
                    body = error(400, "could not read the request body: " + e.getMessage());
                } catch (Exception e) {
                    LOG.error("{} {} failed", ex.getRequestMethod(), ex.getRequestPath(), e);
                    status = 500;
                    body = error(500, "internal error: " + e.getClass().getSimpleName()
                            + (e.getMessage() == null ? "" : ": " + e.getMessage().lines().findFirst().orElse("")));
                }
                ex.setStatusCode(status);
                ex.getResponseHeaders().put(io.undertow.util.Headers.CONTENT_TYPE, "application/json");
                byte[] bytes = Json.toBytes(body);
                ex.setResponseContentLength(bytes.length);
                try (OutputStream os = ex.getOutputStream()) {
                    os.write(bytes);
                } catch (IOException e) {
                    LOG.debug("client went away before the answer to {} {}", ex.getRequestMethod(), ex.getRequestPath());
                }
                ex.endExchange();
            }
        };
    }

    private static ApiException tooLarge(long length) {
        return new ApiException(413, "the request body is too large" + (length < 0 ? "" : " (" + length + " bytes)")
                + ": the limit is " + MAX_BODY_BYTES / (1024 * 1024) + " MiB; send fewer or smaller events at a time");
    }

    private static ObjectNode error(int status, String message) {
        return Json.nodes().objectNode().put("error", message == null ? "error" : message.replace('\n', ' ')).put("status", status);
    }

    private static String param(HttpServerExchange ex, String name) {
        Deque<String> v = ex.getQueryParameters().get(name);
        return v == null || v.isEmpty() || v.peekFirst().isBlank() ? null : v.peekFirst();
    }

    private static int limit(HttpServerExchange ex) {
        String v = param(ex, "limit");
        if (v == null) {
            return DEFAULT_LIMIT;
        }
        try {
            int n = Integer.parseInt(v);
            if (n < 1 || n > 10_000) {
                throw ApiException.badRequest("limit must be between 1 and 10000, got " + n);
            }
            return n;
        } catch (NumberFormatException e) {
            throw ApiException.badRequest("limit must be a number, got \"" + v + "\"");
        }
    }

    private static JsonNode parseJson(byte[] body, String what) {
        if (body.length == 0) {
            throw ApiException.badRequest(what + ": the body is empty");
        }
        try {
            JsonNode n = Json.mapper().readTree(body);
            if (n == null) {
                throw ApiException.badRequest(what + ": the body is empty");
            }
            return n;
        } catch (IOException e) {
            String m = e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
            throw ApiException.badRequest(what + ": the body is not valid JSON (" + m + ")");
        }
    }

    private static ObjectNode data(JsonNode node) {
        ObjectNode o = Json.nodes().objectNode();
        o.set("data", node);
        return o;
    }

    // ---------------------------------------------------------------- events and syncs

    /** Event keys: what Inngest keys, SDK dev placeholders ({@code NO_EVENT_KEY_SET}, {@code dev}) and {@code dev-ui} look like. */
    private static final Pattern EVENT_KEY = Pattern.compile("[A-Za-z0-9._~-]{1,256}");

    private Object events(HttpServerExchange ex, byte[] body) {
        Deque<String> keys = ex.getQueryParameters().get("key");
        checkEventKey(keys == null || keys.isEmpty() ? "" : keys.getFirst());
        JsonNode tree = parseJson(body, "events");
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
        lifecycle.ingest(events);
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
        if (expected != null && !expected.isBlank() && !"dev".equalsIgnoreCase(expected.trim())) {
            throw ApiException.badRequest("the SDK expects a \"" + expected + "\" server, but this is a dev server");
        }
        JsonNode tree = parseJson(body, "sync");
        Registry.Sync sync;
        try {
            sync = Registry.parseSync(tree, System.currentTimeMillis());
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage());
        }
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
        } finally {
            syncLock.unlock();
        }
        LOG.info("synced app {} from {}: {} function(s){}", sync.app().id(), sync.app().url(), sync.functions().size(),
                modified ? "" : " (unchanged)");
        return Json.nodes().objectNode().put("ok", true).put("modified", modified)
                .put("app_id", sync.app().id()).put("sync_id", Ulid.next());
    }

    private Object info(HttpServerExchange ex, byte[] body) {
        ObjectNode o = Json.nodes().objectNode();
        o.put("version", Loomstep.VERSION);
        o.put("server_kind", "dev");
        o.put("database", store.description());
        ArrayNode fns = o.putArray("functions");
        registry.functions().forEach(f -> fns.add(Views.function(f)));
        return o;
    }

    // ---------------------------------------------------------------- REST

    private Object listEvents(HttpServerExchange ex, byte[] body) {
        ArrayNode a = Json.nodes().arrayNode();
        store.events(param(ex, "name"), limit(ex)).forEach(e -> a.add(Views.event(e)));
        return data(a);
    }

    private Object getEvent(HttpServerExchange ex, byte[] body) {
        String id = ex.getQueryParameters().get("eventId").getFirst();
        return data(Views.event(store.event(id).orElseThrow(() -> ApiException.notFound("no event with id \"" + id + "\""))));
    }

    private Object eventRuns(HttpServerExchange ex, byte[] body) {
        String id = ex.getQueryParameters().get("eventId").getFirst();
        if (store.event(id).isEmpty()) {
            throw ApiException.notFound("no event with id \"" + id + "\"");
        }
        ArrayNode a = Json.nodes().arrayNode();
        for (RunRecord r : store.runsForEvent(id)) {
            a.add(Views.run(r, registry.function(r.functionId()), null));
        }
        return data(a);
    }

    /** The longest {@code timeout} a wait for runs' ends may ask for; a longer wait asks again. */
    private static final java.time.Duration MAX_END_WAIT = java.time.Duration.ofMinutes(5);

    /**
     * Like {@code /v1/events/{id}/runs}, but answers once every run the event started has ended, or
     * at {@code timeout} (a time string, default 30s) with the runs as they are then. Waiting costs
     * a parked virtual thread and no polling, so a client learns each run's end at once.
     */
    private Object eventRunsEnded(HttpServerExchange ex, byte[] body) {
        String id = ex.getQueryParameters().get("eventId").getFirst();
        String t = param(ex, "timeout");
        java.time.Duration timeout;
        try {
            timeout = t == null ? java.time.Duration.ofSeconds(30) : dev.loomstep.protocol.TimeStrings.parse(t);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("timeout: " + e.getMessage());
        }
        if (timeout.compareTo(MAX_END_WAIT) > 0) {
            throw ApiException.badRequest("timeout must be at most " + MAX_END_WAIT.toMinutes() + "m, got \"" + t + "\"");
        }
        if (store.event(id).isEmpty()) {
            throw ApiException.notFound("no event with id \"" + id + "\"");
        }
        try {
            lifecycle.runEnds().await(() -> store.runsForEvent(id), timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException(503, "the devserver is shutting down; ask again once it is back");
        }
        return eventRuns(ex, body);
    }

    private Object listRuns(HttpServerExchange ex, byte[] body) {
        String s = param(ex, "status");
        RunStatus status = null;
        if (s != null) {
            status = RunStatus.parse(s);
            if (status == null) {
                throw ApiException.badRequest("status must be one of Running, Completed, Failed, Cancelled; got \"" + s + "\"");
            }
        }
        String fn = param(ex, "function");
        if (fn == null) {
            fn = param(ex, "function_id");
        }
        ArrayNode a = Json.nodes().arrayNode();
        for (RunRecord r : store.runs(status, fn, limit(ex))) {
            a.add(Views.run(r, registry.function(r.functionId()), null));
        }
        return data(a);
    }

    private RunRecord run(HttpServerExchange ex) {
        String id = ex.getQueryParameters().get("runId").getFirst();
        return store.run(id).orElseThrow(() -> ApiException.notFound("no run with id \"" + id + "\""));
    }

    private Object getRun(HttpServerExchange ex, byte[] body) {
        RunRecord r = run(ex);
        return data(Views.run(r, registry.function(r.functionId()), store.steps(r.id())));
    }

    private Object cancelRun(HttpServerExchange ex, byte[] body) {
        RunRecord r = run(ex);
        if (r.status() == RunStatus.Running) {
            lifecycle.cancel(r.id(), "cancelled through the REST API");
        } else if (r.status() != RunStatus.Cancelled) {
            throw new ApiException(409, "run \"" + r.id() + "\" already ended as " + r.status() + "; only running runs can be cancelled");
        }
        RunRecord now = store.run(r.id()).orElse(r);
        return data(Views.run(now, registry.function(now.functionId()), store.steps(now.id())));
    }

    private Object batch(HttpServerExchange ex, byte[] body) {
        return Json.toTree(run(ex).events());
    }

    private Object actions(HttpServerExchange ex, byte[] body) {
        ObjectNode o = Json.nodes().objectNode();
        for (StepRecord s : store.steps(run(ex).id())) {
            if (s.memoized()) {
                o.set(s.id(), s.memo() == null ? Json.nodes().nullNode() : s.memo());
            }
        }
        return o;
    }

    private Object functions(HttpServerExchange ex, byte[] body) {
        ArrayNode a = Json.nodes().arrayNode();
        registry.functions().forEach(f -> a.add(Views.function(f)));
        return data(a);
    }

    private Object apps(HttpServerExchange ex, byte[] body) {
        Map<String, Long> counts = new HashMap<>();
        registry.functions().forEach(f -> counts.merge(f.appId(), 1L, Long::sum));
        ArrayNode a = Json.nodes().arrayNode();
        store.apps().forEach(app -> a.add(Views.app(app, counts.getOrDefault(app.id(), 0L))));
        return data(a);
    }
}
