package dev.loomstep.devserver;

import static dev.loomstep.devserver.FakeSdk.done;
import static dev.loomstep.testkit.hostile.HostileInput.malformedJson;
import static dev.loomstep.testkit.hostile.HostileInput.mistyped;
import static dev.loomstep.testkit.hostile.HostileInput.post;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.devserver.api.HttpApi;
import dev.loomstep.testkit.hostile.Corpus;
import dev.loomstep.testkit.hostile.Gen;
import dev.loomstep.testkit.hostile.HostileInput;
import dev.loomstep.testkit.hostile.HostileInput.Request;
import dev.loomstep.testkit.hostile.Refusals;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The generated hostile corpus against every endpoint of the devserver, over real HTTP on loopback,
 * on a real SQLite file: the event API, syncs, the REST API, the checkpoint API and the web UI's
 * routes. Each request must be refused with a 4xx and one line within {@link Refusals#DEADLINE}; after
 * each, a normal request still works and nothing was created — no run, event, function or app.
 * Seeded; {@code -Dloomstep.hostile.tries=N} runs more (see {@link Corpus}).
 */
class HostileRequestCorpusTest {
    private Path dir;
    private DevServer dev;
    private FakeSdk sdk;
    private Api api;
    private String runId;
    private String eventId;
    private String baseline;

    /** A devserver per family, so that a finding of one leaves the next family a clean baseline. */
    @BeforeEach
    void start() throws Exception {
        dir = Files.createTempDirectory("hostile");
        dev = DevServer.builder().port(0).database(dir.resolve("dev.db")).retryDelayScale(0.001).start();
        api = new Api(dev);
        sdk = new FakeSdk("app");
        sdk.fn("f").on("test/go").handler(c -> done("ran"));
        sdk.sync(dev);
        eventId = api.send("test/go", Map.of("n", 1));
        runId = api.runOf(eventId);
        api.awaitStatus(runId, "Completed");
        baseline = state();
    }

    @AfterEach
    void stop() throws Exception {
        sdk.close();
        dev.close();
        try (var files = Files.list(dir)) {
            for (Path p : files.toList()) {
                Files.deleteIfExists(p);
            }
        }
        Files.deleteIfExists(dir);
    }

    /** What hostile input must not change: the runs, events, functions and synced apps the API lists. */
    private String state() {
        JsonNode runs = api.get("/v1/runs?limit=10000").get("data");
        JsonNode events = api.get("/v1/events?limit=10000").get("data");
        JsonNode fns = api.get("/v1/functions").get("data");
        StringBuilder apps = new StringBuilder();
        for (JsonNode a : api.get("/v1/apps").get("data")) {
            if (a.path("sync_status").asText().equals("synced")) {
                apps.append(a.path("id").asText()).append(':').append(a.path("function_count").asInt()).append(' ');
            }
        }
        StringBuilder s = new StringBuilder("runs=");
        runs.forEach(r -> s.append(r.get("run_id").asText()).append('/').append(r.get("status").asText()).append(' '));
        s.append(" events=").append(events.size()).append(" functions=").append(fns.size()).append(" apps=").append(apps);
        return s.toString();
    }

    private void check(Request r) {
        Refusals.assertRefused(dev.port(), r);
        Refusals.assertHealthy(() -> api.request("GET", "/health", null).status(), r);
        String now = state();
        if (!now.equals(baseline)) {
            throw new AssertionError("state changed after " + r + "\nbefore: " + baseline + "\nafter:  " + now);
        }
    }

    // ---------------------------------------------------------------- the event API

    private static final String EVENT = "{\"name\":\"test/go\",\"data\":{\"n\":1},\"id\":\"e1\",\"ts\":1700000000000,\"user\":{},\"v\":\"1\"}";

    @TestFactory
    Stream<DynamicTest> theEventApiRefusesEveryMalformedOrMistypedEvent() {
        return Corpus.tries(events(), this::check);
    }

    private Gen<Request> events() {
        java.util.Objects.requireNonNull(runId, "the devserver starts before the corpus is generated");
        Gen<byte[]> mistypedEvent = mistyped(EVENT, Map.of("name", "nonblank", "data", "object,null,missing",
                "id", "string,null,missing", "ts", "number,null,missing"));
        Gen<byte[]> mistypedBatch = mistyped("[" + EVENT + "," + EVENT.replace("e1", "e2") + "]", Map.of("1", "object,missing",
                "1.name", "nonblank", "1.data", "object,null,missing", "0.ts", "number,null,missing"));
        Gen<byte[]> notAnEvent = Gen.of("[]", "1", "\"x\"", "null", "true", "[1]", "[{}]", "[[]]", "{}")
                .map(s -> s.getBytes(StandardCharsets.UTF_8));
        Gen<byte[]> reserved = Gen.of("inngest/function.failed", "inngest/function.finished", "inngest/scheduled.timer",
                "inngest/function.invoked", "inngest/").map(n -> ("{\"name\":\"" + n + "\",\"data\":{}}").getBytes(StandardCharsets.UTF_8));
        Gen<byte[]> bodies = Gen.oneOf(malformedJson(EVENT), mistypedEvent, mistypedBatch, notAnEvent, reserved);
        Gen<Request> badBody = bodies.flatMap(b -> post("POST", "/e/test-key", Gen.just(b)));
        Gen<Request> badKey = HostileInput.hostileSegment().filter(HostileRequestCorpusTest::notAnEventKey)
                .map(k -> new Request("POST", "/e/" + k, json(), EVENT.getBytes(StandardCharsets.UTF_8)));
        Gen<Request> badMethod = HostileInput.method("POST").map(m -> new Request(m, "/e/test-key", json(), EVENT.getBytes(StandardCharsets.UTF_8)));
        return Gen.frequencyOf(
                Gen.weighted(6, badBody), Gen.weighted(2, badKey), Gen.weighted(1, badMethod),
                Gen.weighted(1, transport("/e/test-key")));
    }

    private static boolean notAnEventKey(String raw) {
        String key;
        try {
            key = URLDecoder.decode(raw.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return true;
        }
        return !key.matches("[A-Za-z0-9._~-]{1,256}");
    }

    // ---------------------------------------------------------------- syncs

    private static final String SYNC = """
            {"url":"http://127.0.0.1:1/api/inngest","deployType":"ping","sdk":"js:v3","framework":"express","appName":"hostile",
             "v":"0.1","functions":[{"id":"hostile-f","name":"f","triggers":[{"event":"test/x"}],
             "steps":{"step":{"id":"step","name":"step","runtime":{"type":"http","url":"http://127.0.0.1:1/api/inngest?fnId=hostile-f&stepId=step"}}}}]}""";

    @TestFactory
    Stream<DynamicTest> syncsRefuseEveryMalformedOrMistypedRegisterBody() {
        return Corpus.tries(syncs(), this::check);
    }

    private Gen<Request> syncs() {
        java.util.Objects.requireNonNull(runId, "the devserver starts before the corpus is generated");
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("appName", "nonblank");
        fields.put("url", "url");
        fields.put("functions", "array,null,missing");
        fields.put("functions.0", "object");
        fields.put("functions.0.id", "nonblank");
        fields.put("functions.0.triggers", "array,null,missing"); // a function may have none (invoked only)
        fields.put("functions.0.steps", "object");
        fields.put("functions.0.steps.step", "object");
        fields.put("functions.0.steps.step.runtime", "object");
        fields.put("functions.0.steps.step.runtime.url", "url");
        fields.put("functions.0.triggers.0", "object,missing");
        fields.put("functions.0.triggers.0.event", "nonblank");
        Gen<byte[]> bodies = Gen.oneOf(malformedJson(SYNC), mistyped(SYNC, fields),
                Gen.of("[]", "1", "null", "{}").map(s -> s.getBytes(StandardCharsets.UTF_8)));
        Gen<Request> wrongServer = Gen.of("cloud", "prod", "x").map(kind -> {
            Map<String, String> h = json();
            h.put("X-Inngest-Expected-Server-Kind", kind);
            return new Request("POST", "/fn/register", h, SYNC.getBytes(StandardCharsets.UTF_8));
        });
        return Gen.frequencyOf(
                Gen.weighted(8, bodies.flatMap(b -> post("POST", "/fn/register", Gen.just(b)))),
                Gen.weighted(1, wrongServer),
                Gen.weighted(1, HostileInput.method("POST").map(m -> new Request(m, "/fn/register", json(), SYNC.getBytes(StandardCharsets.UTF_8)))),
                Gen.weighted(1, transport("/fn/register")));
    }

    // ---------------------------------------------------------------- the REST API

    @TestFactory
    Stream<DynamicTest> theRestApiRefusesUnknownIdsBadParametersAndWrongMethods() {
        return Corpus.tries(rest(), this::check);
    }

    private Gen<Request> rest() {
        java.util.Objects.requireNonNull(runId, "the devserver starts before the corpus is generated");
        Gen<String> seg = HostileInput.hostileSegment();
        Gen<Request> unknownIds = Gen.combine(seg, Gen.of(
                "GET /v1/runs/%s", "POST /v1/runs/%s/cancel", "DELETE /v1/runs/%s", "POST /v1/runs/%s/rerun", "DELETE /v0/runs/%s",
                "GET /v0/runs/%s/batch", "GET /v0/runs/%s/actions", "GET /v1/events/%s", "GET /v1/events/%s/runs",
                "GET /v1/events/%s/runs/ended?timeout=1ms", "POST /v1/events/%s/replay", "GET /v1/functions/%s",
                "POST /v1/functions/%s/invoke", "POST /v1/apps/%s/resync"), (s, route) -> {
                    String[] mp = route.split(" ", 2);
                    return new Request(mp[0], mp[1].formatted(s), json(), "{\"data\":{}}".getBytes(StandardCharsets.UTF_8));
                });
        Gen<Request> badParams = Gen.oneOf(
                param("/v1/runs?limit=", "-1", "0", "abc", "1e3", "99999999999999999999", "10001", "NaN", "%FF", "1.5"),
                param("/v1/runs?cursor=", "abc", ".", "x.", "1.", "99999999999999999999.a", "%FF", "-1.a", "%00"),
                param("/v1/runs?from=", "abc", "2026-13-45T99:00:00Z", "99999999999999999999", "1e3", "%FF", "-1", "yesterday"),
                param("/v1/runs?until=", "abc", "2026-02-30T00:00:00Z", "12:00", "%FF"),
                param("/v1/runs?status=", "Runningx", "abc", "%FF", "Running,Nope", "%00"),
                param("/v1/runs?from=2026-01-02T00:00:00Z&until=", "2026-01-01T00:00:00Z", "0", "2026-01-02T00:00:00Z"),
                param("/v1/events?limit=", "-1", "abc", "99999999999999999999", "0", "%FF"),
                param("/v1/events?cursor=", "abc", ".", "99999999999999999999.a", "1.", "%FF"),
                param("/v1/events/" + eventId + "/runs/ended?timeout=", "abc", "6m", "-1s", "99999999999999999999s", "%FF", "1h", "1x", "s"));
        Gen<Request> longParams = Gen.combine(
                        Gen.of("/v1/runs?limit=", "/v1/runs?cursor=", "/v1/runs?from=", "/v1/events?limit=", "/v1/events?cursor="),
                        Gen.ints(1_000, 6_000),
                (p, n) -> new Request("GET", p + "9".repeat(n), json(), new byte[0]));
        Gen<Request> wrongMethods = Gen.combine(Gen.of(
                        "/v1/runs|GET", "/v1/runs/" + runId + "|GET,DELETE", "/v1/events|GET", "/v1/functions|GET", "/v1/apps|GET",
                        "/v1/functions/app-f|GET", "/v1/runs/" + runId + "/cancel|POST", "/health|GET", "/dev|GET",
                        "/v1/events/" + eventId + "/replay|POST"), Gen.of("PUT", "PATCH", "OPTIONS", "FOO", "TRACE"),
                (pm, m) -> {
                    String[] parts = pm.split("\\|");
                    return java.util.List.of(parts[1].split(",")).contains(m) ? null
                            : new Request(m, parts[0], json(), "{}".getBytes(StandardCharsets.UTF_8));
                }).filter(r -> r != null);
        // The one completed run: cancelling it is a 409 with no change, whatever the body.
        Gen<Request> endedRun = Gen.of("POST /v1/runs/%s/cancel", "DELETE /v1/runs/%s", "DELETE /v0/runs/%s")
                .flatMap(route -> post(route.split(" ")[0], route.split(" ")[1].formatted(runId), malformedJson(EVENT)));
        // Invoke on a synced function: every body that is not {"data": {...}} is refused before any event.
        Gen<byte[]> invokeBodies = Gen.oneOf(malformedJson("{\"data\":{\"a\":1},\"user\":{}}"),
                mistyped("{\"data\":{\"a\":1},\"user\":{}}", Map.of("data", "object,null,missing")),
                Gen.of("[]", "1", "null", "\"data\"", "true", "[{\"data\":{}}]").map(s -> s.getBytes(StandardCharsets.UTF_8)));
        Gen<Request> invoke = invokeBodies.flatMap(b -> post("POST", "/v1/functions/app-f/invoke", Gen.just(b)));
        Gen<String> unknownMethods = Gen.of("GET", "POST", "DELETE");
        Gen<Request> unknownPaths = ((Gen<Request>) r -> {
                    String a = seg.next(r);
                    String b = seg.next(r);
                    return new Request(unknownMethods.next(r), "/" + a + "/" + b, json(), new byte[0]);
                })
                .filter(r -> !r.target().matches("/(v1|v0|e|ui|fn)/.*"));
        return Gen.frequencyOf(
                Gen.weighted(4, unknownIds), Gen.weighted(4, badParams), Gen.weighted(1, longParams),
                Gen.weighted(2, wrongMethods), Gen.weighted(1, endedRun), Gen.weighted(3, invoke),
                Gen.weighted(1, unknownPaths), Gen.weighted(1, transport("/v1/functions/app-f/invoke")));
    }

    private static Gen<Request> param(String prefix, String... values) {
        return Gen.of(values).map(v -> new Request("GET", prefix + v, json(), new byte[0]));
    }

    // ---------------------------------------------------------------- the checkpoint API and the UI

    private static final String CHECKPOINT = """
            {"run_id":"%s","fn_id":"00000000-0000-0000-0000-000000000000","qi_id":"1","request_id":"r","generation_id":0,
             "request_started_at":1700000000000,"steps":[{"id":"s","op":"StepRun","name":"s","data":1}],"ts":1700000000000}""";

    @TestFactory
    Stream<DynamicTest> theCheckpointApiAndTheUiRoutesRefuseHostileRequests() {
        return Corpus.tries(checkpointsAndUi(), this::check);
    }

    private Gen<Request> checkpointsAndUi() {
        java.util.Objects.requireNonNull(runId, "the devserver starts before the corpus is generated");
        String body = CHECKPOINT.formatted(runId);
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("run_id", "nonblank");
        fields.put("fn_id", "nonblank");
        fields.put("qi_id", "nonblank");
        fields.put("generation_id", "integer,null,missing");
        fields.put("steps", "array");
        fields.put("steps.0", "object");
        fields.put("steps.0.id", "nonblank");
        fields.put("steps.0.op", "nonblank");
        Gen<byte[]> bodies = Gen.oneOf(malformedJson(body), mistyped(body, fields),
                Gen.of("[]", "1", "null", "{}").map(s -> s.getBytes(StandardCharsets.UTF_8)));
        Gen<Request> checkpoint = Gen.combine(bodies, Gen.oneOf(Gen.just(runId), HostileInput.hostileSegment()),
                (b, id) -> new Request("POST", "/v1/checkpoint/" + id + "/async", json(), b));
        // A well-formed checkpoint for the ended run: no call of it is in flight, so 409 and nothing committed.
        Gen<Request> stale = Gen.just(new Request("POST", "/v1/checkpoint/" + runId + "/async", json(), body.getBytes(StandardCharsets.UTF_8)));
        Gen<Request> ui = Gen.oneOf(
                HostileInput.hostileSegment().map(f -> new Request("GET", "/ui/" + f, Map.of(), new byte[0])),
                Gen.combine(Gen.of("/", "/ui/core.js", "/ui/app.css"), HostileInput.method("GET"),
                        (p, m) -> new Request(m, p, Map.of(), new byte[0])));
        return Gen.frequencyOf(Gen.weighted(6, checkpoint), Gen.weighted(1, stale),
                Gen.weighted(3, ui), Gen.weighted(1, transport("/v1/checkpoint/" + runId + "/async")));
    }

    // ---------------------------------------------------------------- MCP

    private static final String MCP_CALL = """
            {"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"send_event","arguments":{"name":"test/go","data":{"n":1}}}}""";

    /**
     * {@code /mcp}: a body that is not one JSON-RPC 2.0 message, a method the stateless endpoint does not
     * take, a web page's origin, a lying Content-Length: each refused before any tool runs (the tool call
     * itself, well-formed, would send an event).
     */
    @TestFactory
    Stream<DynamicTest> theMcpEndpointRefusesWhatIsNotOneJsonRpcMessageFromThisMachine() {
        return Corpus.tries(mcp(), this::check);
    }

    private Gen<Request> mcp() {
        java.util.Objects.requireNonNull(runId, "the devserver starts before the corpus is generated");
        Gen<byte[]> bodies = Gen.oneOf(malformedJson(MCP_CALL), mistyped(MCP_CALL, Map.of("jsonrpc", "string")),
                Gen.of("[]", "1", "null", "{}", "\"x\"", "[" + MCP_CALL + "]", MCP_CALL.replace("2.0", "1.0"),
                        "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}", "{\"jsonrpc\":\"2.0\"}")
                        .map(b -> b.getBytes(StandardCharsets.UTF_8)));
        Gen<Request> foreign = Gen.of("https://evil.example", "http://localhost.evil.example", "null", "http://10.0.0.1:8288", "::")
                .map(origin -> {
                    Map<String, String> h = json();
                    h.put("Origin", origin);
                    return new Request("POST", "/mcp", h, MCP_CALL.getBytes(StandardCharsets.UTF_8));
                });
        return Gen.frequencyOf(
                Gen.weighted(6, bodies.flatMap(b -> post("POST", "/mcp", Gen.just(b)))),
                Gen.weighted(2, foreign),
                Gen.weighted(1, HostileInput.method("POST").map(m -> new Request(m, "/mcp", json(), MCP_CALL.getBytes(StandardCharsets.UTF_8)))),
                Gen.weighted(1, transport("/mcp")));
    }

    // ---------------------------------------------------------------- shared

    /** Transport-level lies: a Content-Length over the limit, one that is not a number, a body in a GET's clothing. */
    private Gen<Request> transport(String target) {
        return Gen.of("over", "nan", "negative").map(kind -> {
            Map<String, String> h = json();
            switch (kind) {
                case "over" -> h.put("Content-Length", Long.toString(HttpApi.MAX_BODY_BYTES + 1));
                case "nan" -> h.put("Content-Length", "lots");
                default -> h.put("Content-Length", "-5");
            }
            return new Request("POST", target, h, EVENT.getBytes(StandardCharsets.UTF_8));
        });
    }

    private static Map<String, String> json() {
        Map<String, String> h = new LinkedHashMap<>();
        h.put("Content-Type", "application/json");
        return h;
    }
}
