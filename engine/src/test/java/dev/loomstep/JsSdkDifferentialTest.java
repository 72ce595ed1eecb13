package dev.loomstep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loomstep.protocol.CallRequest;
import dev.loomstep.protocol.CallResult;
import dev.loomstep.protocol.Json;
import dev.loomstep.testkit.Fixtures;
import dev.loomstep.testkit.JsPeer;
import java.io.IOException;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Sends every shared call-request fixture ({@link Fixtures#cases()}) to the official JS SDK (npm
 * {@code inngest} 4.24.0, {@code testkit/js-peer}) over HTTP and to Loomstep in-process, both serving
 * app {@code peer} with twin functions (same function ids, same step ids), and requires the same answer:
 * status, No-Retry/Retry-After, and for each op its op code, id, name, displayName, opts, data and
 * error (name, message, cause; not the stack text). JS-only internals ({@code userland}, {@code timing},
 * the {@code __serialized} error marker) are not compared. Where Loomstep differs on purpose the
 * difference is asserted explicitly, next to a comment saying why. What JS does on the wire, and the
 * request that shows it, is written down in {@code testkit/js-peer/README.md}.
 *
 * <p>Skipped (with a reason) only when Node or the peer's node_modules is absent; CI always has them.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class JsSdkDifferentialTest {
    private static final String APP = "peer";

    /**
     * Cases whose error is raised in this very request by the twin's code, as a plain JS {@code Error}
     * and a Java {@code IllegalStateException}. Error names are the thrower's class name in each language,
     * so only there the names differ; memoized errors travel back unchanged and must match exactly.
     */
    private static final Set<String> FRESH_PLAIN_ERRORS = Set.of(
            "throws/empty", "throws/final-attempt", "throws/retry-without-max-attempts", "throws/targeted-retry",
            "throws-cause/empty", "fn-throws/empty", "fn-throws/final-attempt");
    private static final String JAVA_PLAIN_ERROR = IllegalStateException.class.getSimpleName();

    private EventApi eventApi;
    private JsPeer peer;
    private Loomstep app;

    @BeforeAll
    void start() throws IOException {
        if (JsPeer.unavailableReason().isPresent()) {
            return; // each test is skipped with the reason, see requirePeer
        }
        eventApi = EventApi.start();
        peer = JsPeer.start(Map.of(
                "INNGEST_EVENT_API_BASE_URL", eventApi.origin(),
                "INNGEST_API_BASE_URL", eventApi.origin()));
        app = Loomstep.builder(APP)
                .config(Config.from(Map.of("INNGEST_DEV", "1")))
                .functions(PeerTwins.twins())
                .eventSender(eventApi.sender(Loomstep.SDK_HEADER))
                .build();
    }

    @BeforeEach
    void requirePeer() {
        Optional<String> missing = JsPeer.unavailableReason();
        Assumptions.assumeTrue(missing.isEmpty(), () -> missing.orElse(""));
    }

    @AfterAll
    void stop() {
        if (peer != null) {
            peer.close();
        }
        if (eventApi != null) {
            eventApi.close();
        }
    }

    // ---------------------------------------------------------------------------------------------

    Stream<Fixtures.Case> cases() {
        return Fixtures.cases().stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void answersEachCallRequestAsTheJsSdkDoes(Fixtures.Case c) throws IOException {
        eventApi.clear();
        JsPeer.Response js = peer.call(c.fnId(APP), c.stepId(), c.body());
        CallRequest request = Json.mapper().readValue(c.body(), CallRequest.class);
        CallResult ours = app.call(c.fnId(APP), c.stepId(), request, null);
        String oursText = new String(ours.body(), StandardCharsets.UTF_8);
        String context = c.name() + " (" + c.about() + ")\n  JS:        " + js.status() + " " + js.body()
                + "\n  Loomstep:  " + ours.status() + " " + oursText + "\n";

        assertEquals(js.status(), ours.status(), "status differs for " + context);
        // Both SDKs really sent their events to the same event API; compare what arrived.
        assertEquals(eventApi.received("inngest-js:"), eventApi.received(Loomstep.SDK_NAME + ":"),
                "the events sent differ for " + context);
        // JS sends No-Retry on errors only (4xx, 5xx, and 206 StepError/StepFailed); CallResult always has a value.
        String jsNoRetry = js.header("X-Inngest-No-Retry");
        if (jsNoRetry != null) {
            assertEquals(Boolean.parseBoolean(jsNoRetry), ours.noRetry(), "X-Inngest-No-Retry differs for " + context);
        }
        assertEquals(js.header("Retry-After"), ours.retryAfter(), "Retry-After differs for " + context);
        // JS 4.24 answers every request with X-Inngest-Req-Version 2; the HTTP adapter adds that header, not the engine.
        assertEquals("2", js.header("X-Inngest-Req-Version"), context);

        JsonNode jsBody = Json.mapper().readTree(js.body());
        JsonNode ourBody = Json.mapper().readTree(oursText);
        boolean fresh = FRESH_PLAIN_ERRORS.contains(c.name());
        switch (js.status()) {
            case 200 -> assertEquals(jsBody, ourBody, "the function's result differs for " + context);
            case 206 -> compareOps(jsBody, ourBody, fresh, context);
            default -> compareError(jsBody, ourBody, fresh, "the error body", context);
        }
    }

    private static void compareOps(JsonNode js, JsonNode ours, boolean fresh, String context) {
        assertTrue(js.isArray() && ours.isArray(), "a 206 body is an array of ops: " + context);
        assertEquals(js.size(), ours.size(), "number of ops differs for " + context);
        for (int i = 0; i < js.size(); i++) {
            compareOp(js.get(i), ours.get(i), fresh, "op " + i + " of " + context);
        }
    }

    private static void compareOp(JsonNode js, JsonNode ours, boolean fresh, String context) {
        String op = js.path("op").asText();
        assertEquals(op, ours.path("op").asText(), "op code differs: " + context);
        assertEquals(js.path("id").asText(), ours.path("id").asText(), "id differs: " + context);
        assertEquals(text(js, "displayName"), text(ours, "displayName"), "displayName differs: " + context);
        assertEquals(text(js, "name"), text(ours, "name"), "name differs: " + context);

        ObjectNode ourOpts = opts(ours);
        switch (op) {
            // The spec puts a sleep's duration in opts.duration; JS 4.24 puts it only in name. Loomstep sends
            // both so every executor finds it: the extra field must repeat the name.
            case "Sleep" -> assertEquals(text(js, "name"), textOrNull(ourOpts.remove("duration")),
                    "Loomstep's opts.duration must equal the sleep's name: " + context);
            // The spec puts the awaited event in opts.event; JS 4.24 puts it only in name. Loomstep sends both.
            case "WaitForEvent" -> assertEquals(text(js, "name"), textOrNull(ourOpts.remove("event")),
                    "Loomstep's opts.event must equal the awaited event's name: " + context);
            default -> { }
        }
        assertEquals(opts(js), ourOpts, "opts differ: " + context);
        if (op.equals("StepFailed")) {
            // StepFailed repeats its error in data ({__serialized, name, message, stack: ""}); the name follows
            // the same documented difference as the error itself (Java class name for a plain error).
            compareError(js.get("data"), ours.get("data"), fresh, "the StepFailed data", context);
            assertEquals(js.get("data").path("__serialized"), ours.get("data").path("__serialized"), "data.__serialized differs: " + context);
            assertEquals(js.get("data").path("stack"), ours.get("data").path("stack"), "data.stack differs: " + context);
        } else {
            // JS writes data: null on ops without a result (Sleep, WaitForEvent, StepPlanned, …); absent means the same.
            assertEquals(nullToNull(js.get("data")), nullToNull(ours.get("data")), "data differs: " + context);
        }
        if (js.hasNonNull("error") || ours.hasNonNull("error")) {
            compareError(js.get("error"), ours.get("error"), fresh, "the op's error", context);
        }
    }

    private static void compareError(JsonNode js, JsonNode ours, boolean fresh, String what, String context) {
        assertNotNull(ours, what + " is missing in Loomstep's answer: " + context);
        assertTrue(js.isObject() && ours.isObject(), what + " is an object: " + context);
        String jsName = js.path("name").asText();
        String expectedName = fresh && "Error".equals(jsName) ? JAVA_PLAIN_ERROR : jsName;
        assertEquals(expectedName, ours.path("name").asText(), what + ": name differs: " + context);
        assertEquals(js.path("message").asText(), ours.path("message").asText(), what + ": message differs: " + context);
        if (!js.path("stack").asText("").isEmpty()) {
            assertTrue(ours.path("stack").isTextual() && !ours.path("stack").asText().isEmpty(),
                    what + ": JS sends a stack, Loomstep none: " + context);
        }
        if (js.hasNonNull("cause")) {
            compareError(js.get("cause"), ours.get("cause"), fresh, what + "'s cause", context);
        } else {
            assertFalse(ours.hasNonNull("cause"), what + ": Loomstep sends a cause, JS none: " + context);
        }
    }

    private static ObjectNode opts(JsonNode op) {
        JsonNode o = op.get("opts");
        return o == null || o.isNull() ? Json.nodes().objectNode() : ((ObjectNode) o).deepCopy();
    }

    private static JsonNode nullToNull(JsonNode n) {
        return n == null || n.isNull() ? null : n;
    }

    private static String text(JsonNode n, String field) {
        return textOrNull(n.get(field));
    }

    private static String textOrNull(JsonNode n) {
        return n == null || n.isNull() ? null : n.asText();
    }

    // ---------------------------------------------------------------------------------------------

    @Test
    void unknownFunctionIdFailsWith500AsTheJsSdkDoes() throws IOException {
        String body = Fixtures.body("returns/empty");
        JsPeer.Response js = peer.call("peer-nope", "step", body);
        CallResult ours = app.call("peer-nope", "step", Json.mapper().readValue(body, CallRequest.class), null);
        assertEquals(500, js.status());
        assertEquals(js.status(), ours.status(), "JS: " + js.body() + "\nLoomstep: " + new String(ours.body(), StandardCharsets.UTF_8));
    }

    @Test
    void syncConfigDescribesEachFunctionAsTheJsSdkDoes() throws IOException {
        eventApi.clear();
        JsPeer.Response put = peer.put(null, Map.of("X-Inngest-Server-Kind", "dev"));
        assertEquals(200, put.status(), put.body());
        JsonNode jsSync = Json.mapper().readTree(eventApi.lastRegisterBody().orElseThrow(() -> new AssertionError("JS did not sync")));
        JsonNode ourSync = Json.toTree(app.syncRequest(peer.baseUrl(), "express"));
        assertEquals("express", ourSync.path("framework").asText());
        assertEquals(jsSync.path("url").asText(), ourSync.path("url").asText(), "app url");
        assertEquals(jsSync.path("appName").asText(), ourSync.path("appName").asText());
        assertEquals(jsSync.path("v").asText(), ourSync.path("v").asText(), "sync payload version");
        assertEquals(jsSync.path("deployType").asText(), ourSync.path("deployType").asText());

        Map<String, JsonNode> jsFns = byId(jsSync.path("functions"));
        Map<String, JsonNode> ourFns = byId(ourSync.path("functions"));
        assertEquals(jsFns.keySet(), ourFns.keySet(), "function ids");
        for (var e : jsFns.entrySet()) {
            JsonNode j = e.getValue();
            JsonNode o = ourFns.get(e.getKey());
            String ctx = "function " + e.getKey() + "\n  JS:       " + j + "\n  Loomstep: " + o;
            assertEquals(j.path("name"), o.path("name"), "name of " + ctx);
            assertEquals(j.path("triggers"), o.path("triggers"), "triggers of " + ctx);
            JsonNode js = j.path("steps").path("step");
            JsonNode os = o.path("steps").path("step");
            assertEquals(js.path("id"), os.path("id"), ctx);
            assertEquals(js.path("name"), os.path("name"), ctx);
            assertEquals(js.path("runtime").path("type"), os.path("runtime").path("type"), ctx);
            assertEquals(query(js.path("runtime").path("url").asText()), query(os.path("runtime").path("url").asText()), "step url query of " + ctx);
            assertEquals(js.path("retries"), os.path("retries"), "retries of " + ctx);
            // JS writes one concurrency limit as an object, Loomstep always as a list; executors accept both.
            JsonNode jc = j.path("concurrency");
            JsonNode oc = o.path("concurrency");
            if (jc.isObject()) {
                assertTrue(oc.isArray() && oc.size() == 1, "concurrency of " + ctx);
                assertEquals(jc, withoutNulls(oc.get(0)), "concurrency of " + ctx);
            } else {
                assertEquals(jc, oc, "concurrency of " + ctx);
            }
        }
    }

    private static Map<String, JsonNode> byId(JsonNode functions) {
        var m = new TreeMap<String, JsonNode>();
        functions.forEach(f -> m.put(f.path("id").asText(), f));
        return m;
    }

    private static Map<String, String> query(String url) {
        var m = new TreeMap<String, String>();
        String q = URI.create(url).getRawQuery();
        if (q != null) {
            for (String kv : q.split("&")) {
                int eq = kv.indexOf('=');
                m.put(URLDecoder.decode(eq < 0 ? kv : kv.substring(0, eq), StandardCharsets.UTF_8),
                        eq < 0 ? "" : URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return m;
    }

    private static JsonNode withoutNulls(JsonNode n) {
        ObjectNode copy = ((ObjectNode) n).deepCopy();
        for (Iterator<Map.Entry<String, JsonNode>> it = copy.fields(); it.hasNext(); ) {
            if (it.next().getValue().isNull()) {
                it.remove();
            }
        }
        return copy;
    }
}
