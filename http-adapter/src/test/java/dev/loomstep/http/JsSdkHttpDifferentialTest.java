package dev.loomstep.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loomstep.Config;
import dev.loomstep.Loomstep;
import dev.loomstep.protocol.Json;
import dev.loomstep.testkit.Fixtures;
import dev.loomstep.testkit.JsPeer;
import dev.loomstep.undertow.LoomstepServer;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The engine's differential test repeated over HTTP: every shared call-request fixture goes to the
 * official JS SDK (npm {@code inngest} 4.24.0 on express, {@code testkit/js-peer}) and to Loomstep served
 * by {@link LoomstepServer}, both for real over loopback, and the answers must agree: status, the
 * protocol headers, and the body (ops, results, errors). Both send their events through their real event
 * clients to the same small event API, which must receive the same events. Where Loomstep differs on
 * purpose the difference is asserted explicitly, with the reason beside it.
 *
 * <p>Skipped (with the reason) only when Node or the peer's node_modules is absent; {@code ./loom test}
 * installs them and sets {@code -Dloomstep.requirePeer=true}, under which a missing peer fails instead.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class JsSdkHttpDifferentialTest {
    private static final String APP = "peer";
    /** Errors raised in this very request by the twins: a JS {@code Error} and a Java {@code IllegalStateException}. */
    private static final Set<String> FRESH_PLAIN_ERRORS = Set.of(
            "throws/empty", "throws/final-attempt", "throws/retry-without-max-attempts", "throws/targeted-retry",
            "throws-cause/empty", "fn-throws/empty", "fn-throws/final-attempt");

    private RecordingServer api;
    private JsPeer peer;
    private LoomstepServer server;

    @BeforeAll
    void start() {
        if (JsPeer.unavailableReason().isPresent()) {
            return; // each test is skipped (or failed, under -Dloomstep.requirePeer=true), see requirePeer
        }
        api = RecordingServer.scripted(JsSdkHttpDifferentialTest::executorApi);
        peer = JsPeer.start(Map.of("INNGEST_EVENT_API_BASE_URL", api.origin(), "INNGEST_API_BASE_URL", api.origin()));
        // No event sender configured: the app finds EventClient through the ServiceLoader, as users' apps do.
        Loomstep app = Loomstep.builder(APP).config(Config.from(Map.of("INNGEST_DEV", api.origin())))
                .functions(dev.loomstep.PeerTwins.twins()).build();
        server = LoomstepServer.builder(app).host("127.0.0.1").port(0).start();
    }

    @BeforeEach
    void requirePeer() {
        JsPeer.assumeAvailable(); // skips with the reason, or fails under -Dloomstep.requirePeer=true
        api.clear();
    }

    @AfterAll
    void stop() {
        if (server != null) {
            server.close();
        }
        if (peer != null) {
            peer.close();
        }
        if (api != null) {
            api.close();
        }
    }

    /** The event API and register endpoint both SDKs talk to. Event ids derive from name and data, so both get the same. */
    static RecordingServer.Answer executorApi(RecordingServer.Recorded request, int index) {
        if (request.pathAndQuery().startsWith("/fn/register")) {
            return new RecordingServer.Answer(200, "{\"ok\":true,\"modified\":true}");
        }
        if (request.pathAndQuery().startsWith("/v1/signals")) {
            // Inngest's signal API: the run it resumed, wrapped in {data}.
            String signal = parse(request.text(), "signal body").path("signal").asText();
            return new RecordingServer.Answer(200, "{\"data\":{\"run_id\":\"run-" + Fixtures.sha1Hex(signal).substring(0, 12)
                    + "\"},\"metadata\":{}}");
        }
        ArrayNode ids = Json.nodes().arrayNode();
        for (JsonNode e : events(request)) {
            ids.add("evt-" + Fixtures.sha1Hex(e.path("name").asText() + canonical(e.path("data"))).substring(0, 12));
        }
        return new RecordingServer.Answer(200, Json.nodes().objectNode().put("status", 200).set("ids", ids).toString());
    }

    // ---- call requests --------------------------------------------------------------------------

    Stream<Fixtures.Case> cases() {
        return Fixtures.cases().stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void answersEachCallRequestOverHttpAsTheJsSdkDoes(Fixtures.Case c) {
        JsPeer.Response js = peer.call(c.fnId(APP), c.stepId(), c.body());
        TestHttp.Reply ours = TestHttp.send("POST", server.url() + "?fnId=" + c.fnId(APP) + "&stepId=" + c.stepId(),
                Map.of("Content-Type", "application/json"), AdapterTestBase.utf8(c.body()));
        String context = c.name() + " (" + c.about() + ")\n  JS:        " + js.status() + " " + js.headers() + " " + js.body()
                + "\n  Loomstep:  " + ours.status() + " " + ours.headers().map() + " " + ours.body() + "\n";

        assertEquals(js.status(), ours.status(), "status differs for " + context);
        assertEquals(js.header("X-Inngest-No-Retry"), ours.header("X-Inngest-No-Retry"), "X-Inngest-No-Retry differs for " + context);
        assertEquals(js.header("Retry-After"), ours.header("Retry-After"), "Retry-After differs for " + context);
        assertSameProtocolHeaders(js, ours, context);
        assertEquals(eventsSentBy("inngest-js:"), eventsSentBy("loomstep:"), "the events sent differ for " + context);

        JsonNode jsBody = parse(js.body(), context);
        JsonNode ourBody = parse(ours.body(), context);
        boolean fresh = FRESH_PLAIN_ERRORS.contains(c.name());
        switch (js.status()) {
            case 200 -> assertEquals(jsBody, ourBody, "the function's result differs for " + context);
            case 206 -> assertEquals(ops(jsBody, fresh, true), ops(ourBody, false, false), "the ops differ for " + context);
            default -> assertEquals(error(jsBody, fresh), error(ourBody, false), "the error differs for " + context);
        }
    }

    /** The headers both SDKs send on every answer to the executor; values differ only where an SDK names itself. */
    static void assertSameProtocolHeaders(JsPeer.Response js, TestHttp.Reply ours, String context) {
        assertTrue(js.header("X-Inngest-Sdk").matches("[\\w/-]+:v\\d+\\.\\d+\\.\\d+.*"), context);
        assertEquals("loomstep:v0.1.0", ours.header("X-Inngest-Sdk"), context);
        assertEquals("express", js.header("X-Inngest-Framework"), context);
        assertEquals("undertow", ours.header("X-Inngest-Framework"), context);
        assertEquals(js.header("X-Inngest-Sdk-Handled"), ours.header("X-Inngest-Sdk-Handled"), "X-Inngest-Sdk-Handled: " + context);
        assertTrue(js.header("Content-Type").startsWith("application/json") && ours.header("Content-Type").startsWith("application/json"), context);
        assertNotNull(js.header("Server-Timing"), context);
        assertNotNull(ours.header("Server-Timing"), context);
        // Deliberate: JS 4.x answers execution version 2, which opts into the executor's parallelism
        // optimisation; Loomstep answers the spec's 1 (§4.1.2 "MUST be 1"), the semantics its engine implements.
        assertEquals("2", js.header("X-Inngest-Req-Version"), context);
        assertEquals("1", ours.header("X-Inngest-Req-Version"), context);
    }

    /** Each op reduced to what executors read; JS internals (userland, timing, __serialized) left out. */
    static List<JsonNode> ops(JsonNode body, boolean freshJsErrors, boolean fromJs) {
        assertTrue(body.isArray(), "a 206 body is an array of ops: " + body);
        var out = new java.util.ArrayList<JsonNode>();
        for (JsonNode op : body) {
            ObjectNode n = Json.nodes().objectNode();
            String code = op.path("op").asText();
            n.put("op", code);
            copy(op, n, "id", "name", "displayName");
            ObjectNode opts = op.path("opts").isObject() ? ((ObjectNode) op.get("opts")).deepCopy() : Json.nodes().objectNode();
            if (!fromJs) {
                // The spec's opts.duration / opts.event; JS 4.24 sends these only in name. Loomstep sends both.
                String extra = code.equals("Sleep") ? "duration" : code.equals("WaitForEvent") ? "event" : null;
                if (extra != null) {
                    assertEquals(op.path("name").asText(), opts.path(extra).asText(), "opts." + extra + " must repeat the name: " + op);
                    opts.remove(extra);
                }
            }
            n.set("opts", opts);
            if (code.equals("StepFailed")) {
                n.set("data", error(op.get("data"), freshJsErrors));
            } else if (op.hasNonNull("data")) {
                n.set("data", op.get("data"));
            }
            if (op.hasNonNull("error")) {
                n.set("error", error(op.get("error"), freshJsErrors));
            }
            out.add(n);
        }
        return out;
    }

    /** An error reduced to name, message and cause; a fresh plain JS Error is named as its Java twin's. */
    static JsonNode error(JsonNode e, boolean freshJsError) {
        ObjectNode n = Json.nodes().objectNode();
        if (e == null || !e.isObject()) {
            return n.put("not an error", String.valueOf(e));
        }
        String name = e.path("name").asText();
        n.put("name", freshJsError && name.equals("Error") ? IllegalStateException.class.getSimpleName() : name);
        n.put("message", e.path("message").asText());
        if (e.hasNonNull("cause")) {
            n.set("cause", error(e.get("cause"), freshJsError));
        }
        return n;
    }

    // ---- introspection, sync and bad input ------------------------------------------------------

    @Test
    void introspectionAgreesOnTheSpecFieldsAndHeaders() {
        JsPeer.Response js = peer.get();
        TestHttp.Reply ours = TestHttp.get(server.url());
        String context = "\n  JS:       " + js.body() + "\n  Loomstep: " + ours.body();
        assertEquals(js.status(), ours.status(), context);
        assertSameProtocolHeaders(js, ours, context);
        JsonNode j = parse(js.body(), context);
        JsonNode o = ours.json();
        for (String field : List.of("function_count", "has_event_key", "has_signing_key", "mode")) {
            assertEquals(j.get(field), o.get(field), field + context);
        }
        // Deliberate: the spec forbids top-level keys beyond its schema; JS adds schema_version and extra.
        assertTrue(j.has("schema_version"), context);
        assertEquals(Set.of("function_count", "has_event_key", "has_signing_key", "mode"), fieldNames(o), context);
    }

    @Test
    void syncRegistersWithTheExecutorAsTheJsSdkDoes() {
        var headers = Map.of("X-Inngest-Server-Kind", "dev");
        JsPeer.Response js = peer.put("deployId=dep-1", headers);
        var jsRegister = lastRegister("inngest-js:");
        TestHttp.Reply ours = TestHttp.send("PUT", server.url() + "?deployId=dep-1", headers, (byte[]) null);
        var ourRegister = lastRegister("loomstep:");
        String context = "\n  JS:       " + js.status() + " " + js.headers() + " " + js.body()
                + "\n  Loomstep: " + ours.status() + " " + ours.headers().map() + " " + ours.body();

        assertEquals(js.status(), ours.status(), context);
        assertSameProtocolHeaders(js, ours, context);
        assertEquals(js.header("X-Inngest-Sync-Kind"), ours.header("X-Inngest-Sync-Kind"), context);
        JsonNode j = parse(js.body(), context);
        assertEquals(fieldNames(j), fieldNames(ours.json()), "{message, modified}" + context);
        assertEquals(j.get("modified"), ours.json().get("modified"), context);

        assertEquals(jsRegister.pathAndQuery(), ourRegister.pathAndQuery(), "both forward deployId to /fn/register");
        for (String h : List.of("X-Inngest-Expected-Server-Kind", "X-Inngest-Sync-Kind", "Content-Type")) {
            assertEquals(jsRegister.header(h), ourRegister.header(h), h);
        }
        JsonNode jsBody = parse(jsRegister.text(), "JS register body");
        JsonNode ourBody = parse(ourRegister.text(), "Loomstep register body");
        for (String field : List.of("deployType", "v", "appName", "deployId")) {
            assertEquals(jsBody.get(field), ourBody.get(field), field);
        }
        assertEquals(jsBody.get("functions").size(), ourBody.get("functions").size(), "function count");
        // Every function config equal as JSON (as the engine's test checks in-process), once the step URL is
        // reduced to fnId and stepId (the two servers differ in host and port, and JS keeps deployId) and JS's
        // concurrency is put in the list form Loomstep always uses (engine/README.md, wire decisions).
        Map<String, JsonNode> jsFns = new TreeMap<>();
        Map<String, JsonNode> ourFns = new TreeMap<>();
        jsBody.get("functions").forEach(f -> jsFns.put(f.path("id").asText(), comparableConfig(f)));
        ourBody.get("functions").forEach(f -> ourFns.put(f.path("id").asText(), comparableConfig(f)));
        assertEquals(jsFns.keySet(), ourFns.keySet(), "function ids");
        jsFns.forEach((id, jsFn) -> assertEquals(jsFn, ourFns.get(id), "the sync config of " + id + " differs\n  JS:       " + jsFn
                + "\n  Loomstep: " + ourFns.get(id)));
        // Spec §4.3.2: the registered URL must not carry deployId. Loomstep's does not.
        assertEquals(server.url(), ourBody.get("url").asText());
    }

    /**
     * Bad input: JS 4.24 answers with whatever its framework or executor path produces (HTML from express,
     * 500 with a stack trace, 401 for a missing body); Loomstep answers each with a deliberate 4xx and a
     * one-line JSON reason. Both statuses are pinned here so a change on either side is noticed.
     */
    @Test
    void badInputIsAnsweredWithDeliberate4xxWhereJsAnswersAsItsFrameworkHappensTo() {
        record Bad(String what, String method, String query, String body, int js, int ours) {}
        String good = Fixtures.body("returns/empty");
        List<Bad> cases = List.of(
                new Bad("unknown function", "POST", "fnId=peer-nope&stepId=step", good, 500, 404),
                new Bad("no fnId", "POST", "stepId=step", good, 500, 400),
                new Bad("malformed JSON", "POST", "fnId=peer-returns&stepId=step", "{\"event\":", 400, 400),
                new Bad("wrong types", "POST", "fnId=peer-returns&stepId=step", "{\"event\":\"x\",\"steps\":[1]}", 500, 400),
                new Bad("an array", "POST", "fnId=peer-returns&stepId=step", "[1,2]", 500, 400),
                new Bad("missing body", "POST", "fnId=peer-returns&stepId=step", null, 401, 400),
                new Bad("wrong method", "DELETE", null, null, 405, 405));
        for (Bad bad : cases) {
            JsPeer.Response js = peer.request(bad.method(), bad.query(), bad.body(), Map.of());
            var ours = TestHttp.send(bad.method(), server.url() + (bad.query() == null ? "" : "?" + bad.query()),
                    Map.of("Content-Type", "application/json"), bad.body() == null ? null : AdapterTestBase.utf8(bad.body()));
            assertEquals(bad.js(), js.status(), bad.what() + ": JS " + js.body());
            AdapterTestBase.assertOneLineError(ours, bad.ours());
        }
        assertEquals(200, TestHttp.get(server.url()).status(), "still serving");
    }

    // ---- helpers --------------------------------------------------------------------------------

    /** A function config with steps.step.runtime.url reduced to its fnId and stepId, and concurrency as a list. */
    private static JsonNode comparableConfig(JsonNode fn) {
        ObjectNode copy = ((ObjectNode) fn).deepCopy();
        JsonNode runtime = copy.path("steps").path("step").path("runtime");
        if (runtime instanceof ObjectNode r) {
            String query = java.net.URI.create(r.path("url").asText()).getQuery();
            var kept = new TreeMap<String, String>();
            for (String kv : query == null ? new String[0] : query.split("&")) {
                String[] pair = kv.split("=", 2);
                if (pair[0].equals("fnId") || pair[0].equals("stepId")) {
                    kept.put(pair[0], pair.length > 1 ? pair[1] : "");
                }
            }
            r.put("url", kept.toString());
        }
        return dev.loomstep.PeerTwins.withConcurrencyAsList(copy);
    }

    private Map<String, Long> eventsSentBy(String sdkPrefix) {
        var counts = new TreeMap<String, Long>();
        for (var r : api.requests()) {
            if (r.pathAndQuery().startsWith("/v1/signals") && String.valueOf(r.header("X-Inngest-Sdk")).startsWith(sdkPrefix)) {
                counts.merge("signal " + canonical(parse(r.text(), "signal body")), 1L, Long::sum);
            }
            if (r.pathAndQuery().startsWith("/e/") && String.valueOf(r.header("X-Inngest-Sdk")).startsWith(sdkPrefix)) {
                for (JsonNode e : events(r)) {
                    counts.merge(e.path("name").asText() + " " + canonical(e.path("data")), 1L, Long::sum);
                }
            }
        }
        return counts;
    }

    private RecordingServer.Recorded lastRegister(String sdkPrefix) {
        return api.requests().stream()
                .filter(r -> r.pathAndQuery().startsWith("/fn/register") && String.valueOf(r.header("X-Inngest-Sdk")).startsWith(sdkPrefix))
                .reduce((a, b) -> b)
                .orElseThrow(() -> new AssertionError("no sync from " + sdkPrefix + " reached the register endpoint"));
    }

    private static void copy(JsonNode from, ObjectNode to, String... fields) {
        for (String f : fields) {
            if (from.hasNonNull(f)) {
                to.set(f, from.get(f));
            }
        }
    }

    private static List<JsonNode> events(RecordingServer.Recorded r) {
        JsonNode body = parse(r.text(), "event API body");
        var out = new java.util.ArrayList<JsonNode>();
        if (body.isArray()) {
            body.forEach(out::add);
        } else {
            out.add(body);
        }
        return out;
    }

    private static Set<String> fieldNames(JsonNode n) {
        var names = new java.util.TreeSet<String>();
        n.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static JsonNode parse(String text, String context) {
        try {
            return Json.mapper().readTree(text);
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + text + " in " + context, e);
        }
    }

    /** JSON with object keys sorted, so equal data reads equal whatever the key order. */
    static String canonical(JsonNode n) {
        Function<JsonNode, String> self = JsSdkHttpDifferentialTest::canonical;
        if (n.isObject()) {
            var sorted = new TreeMap<String, JsonNode>();
            n.fields().forEachRemaining(e -> sorted.put(e.getKey(), e.getValue()));
            var sb = new StringBuilder("{");
            sorted.forEach((k, v) -> sb.append(Json.nodes().textNode(k)).append(':').append(self.apply(v)).append(','));
            return sb.append('}').toString();
        }
        if (n.isArray()) {
            var sb = new StringBuilder("[");
            n.forEach(v -> sb.append(self.apply(v)).append(','));
            return sb.append(']').toString();
        }
        return n.toString();
    }
}
