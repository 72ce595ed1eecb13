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
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
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
 * <p>Skipped (with a reason) only when Node or the peer's node_modules is absent, and failed instead under
 * {@code -Dloomstep.requirePeer=true}, which {@code ./loom test} (and so CI) sets.
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
            return; // each test is skipped (or failed, under -Dloomstep.requirePeer=true), see requirePeer
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
        JsPeer.assumeAvailable(); // skips with the reason, or fails under -Dloomstep.requirePeer=true
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

    /**
     * The mixed fan-out (run + sleep + waitForEvent + invoke in one Promise.all / step.parallel): besides
     * the op-by-op comparison of {@code mixed/empty} above, pin what both answer, so the case cannot quietly
     * turn into something else: one 206 with the four ops in call order and their options.
     */
    @Test
    void mixedFanOutReportsEveryKindOfStepInOne206() throws IOException {
        Fixtures.Case c = Fixtures.get("mixed/empty");
        JsPeer.Response js = peer.call(c.fnId(APP), c.stepId(), c.body());
        CallResult ours = app.call(c.fnId(APP), c.stepId(), Json.mapper().readValue(c.body(), CallRequest.class), null);
        String oursText = new String(ours.body(), StandardCharsets.UTF_8);
        for (var answer : List.of(Map.entry("JS " + js.body(), js.status()), Map.entry("Loomstep " + oursText, ours.status()))) {
            assertEquals(206, answer.getValue(), answer.getKey());
        }
        for (JsonNode ops : List.of(Json.mapper().readTree(js.body()), Json.mapper().readTree(oursText))) {
            String ctx = ops.toString();
            assertEquals(List.of("StepPlanned", "Sleep", "WaitForEvent", "InvokeFunction"),
                    ops.findValuesAsText("op"), "one op per branch, in call order: " + ctx);
            assertEquals(List.of("m-run", "m-nap", "m-wait", "m-call"), ops.findValuesAsText("displayName"), ctx);
            assertEquals(Fixtures.sha1Hex("m-run"), ops.get(0).path("id").asText(), ctx);
            assertEquals("30s", ops.get(1).path("name").asText(), "the sleep's duration: " + ctx);
            assertEquals("peer/mixed-ok", ops.get(2).path("name").asText(), ctx);
            assertEquals("5m", ops.get(2).path("opts").path("timeout").asText(), ctx);
            assertEquals("event.data.id == async.data.id", ops.get(2).path("opts").path("if").asText(), ctx);
            JsonNode invoke = ops.get(3).path("opts");
            assertEquals("peer-child", invoke.path("function_id").asText(), ctx);
            assertEquals(2, invoke.path("payload").path("data").path("v").asInt(), ctx);
            assertEquals("10m", invoke.path("timeout").asText(), ctx);
        }
    }

    /**
     * Durable waits have a one-second resolution: both SDKs send 500 ms and 250 ms as "1s" and 1.5 s as "1s"
     * (the fraction dropped), and an invoke by a local function id goes out as {@code <appId>-<id>}.
     */
    @Test
    void subSecondWaitsGoOutInWholeSecondsAndALocalInvokeIdIsPrefixedWithTheApp() throws IOException {
        Fixtures.Case c = Fixtures.get("subsecond/empty");
        JsPeer.Response js = peer.call(c.fnId(APP), c.stepId(), c.body());
        CallResult ours = app.call(c.fnId(APP), c.stepId(), Json.mapper().readValue(c.body(), CallRequest.class), null);
        String oursText = new String(ours.body(), StandardCharsets.UTF_8);
        for (JsonNode ops : List.of(Json.mapper().readTree(js.body()), Json.mapper().readTree(oursText))) {
            String ctx = ops.toString();
            assertEquals(List.of("Sleep", "Sleep", "WaitForEvent", "InvokeFunction"), ops.findValuesAsText("op"), ctx);
            assertEquals("1s", ops.get(0).path("name").asText(), "500 ms: " + ctx);
            assertEquals("1s", ops.get(1).path("name").asText(), "1.5 s: " + ctx);
            assertEquals("1s", ops.get(2).path("opts").path("timeout").asText(), "250 ms: " + ctx);
            assertEquals("1s", ops.get(3).path("opts").path("timeout").asText(), "1.5 s: " + ctx);
            assertEquals(APP + "-child", ops.get(3).path("opts").path("function_id").asText(), ctx);
        }
    }

    /**
     * A race the function returns right after, with a loser still pending: JS 4.24 answers the loser's
     * pending op again (its race settles a microtask after it reports what it found), so the executor waits
     * for the loser before JS returns; Loomstep returns at once. The winner is the same either way, as
     * {@code race-timeout/both-ended} shows. Both bodies are fixtures outside {@code cases.json} for this
     * reason.
     */
    @Test
    void aRaceFollowedByReturnAnswersAtOnceWhereJsReportsTheLosersPendingOpAgain() throws IOException {
        var expected = Map.of("race-timeout/approved", List.of("approved", "Sleep", "deadline"),
                "race-timeout/deadline-passed", List.of("deadline", "WaitForEvent", "approval"));
        for (var e : expected.entrySet()) {
            String body = Fixtures.body(e.getKey());
            JsPeer.Response js = peer.call(APP + "-race-timeout", "step", body);
            CallResult ours = app.call(APP + "-race-timeout", "step", Json.mapper().readValue(body, CallRequest.class), null);
            String context = e.getKey() + "\n  JS: " + js.status() + " " + js.body() + "\n  Loomstep: " + ours.status() + " "
                    + new String(ours.body(), StandardCharsets.UTF_8);

            assertEquals(206, js.status(), context);
            JsonNode jsOps = Json.mapper().readTree(js.body());
            assertEquals(1, jsOps.size(), context);
            assertEquals(e.getValue().get(1), jsOps.get(0).path("op").asText(), "JS reports the loser again: " + context);
            assertEquals(e.getValue().get(2), jsOps.get(0).path("displayName").asText(), context);
            assertEquals("race", jsOps.get(0).path("opts").path("parallelMode").asText(), context);
            assertEquals(200, ours.status(), "Loomstep returns at once: " + context);
            assertEquals(e.getValue().get(0), Json.mapper().readTree(ours.body()).path("outcome").asText(), context);
        }
    }

    /**
     * Zero and negative durable waits (a sleep, a waitForEvent, waitForSignal and invoke timeout): JS 4.24 sends
     * {@code ""} for each, Loomstep {@code "0s"}. For a sleep and a waitForEvent Inngest reads both as "now"; for
     * a waitForSignal or invoke timeout it reads {@code ""} as no timeout (a year), so JS turns "time out at once"
     * into a year-long wait; Loomstep keeps the meaning (engine/README.md). A negative duration is a zero one: the
     * call answers its ops (206) as JS's does, never a retried 500.
     */
    @Test
    void zeroAndNegativeWaitsAreReportedAsJsDoesButAsZeroSeconds() throws IOException {
        String body = Fixtures.body("durations/empty");
        JsPeer.Response js = peer.call(APP + "-durations", "step", body);
        CallResult ours = app.call(APP + "-durations", "step", Json.mapper().readValue(body, CallRequest.class), null);
        String oursText = new String(ours.body(), StandardCharsets.UTF_8);
        String context = "\n  JS: " + js.status() + " " + js.body() + "\n  Loomstep: " + ours.status() + " " + oursText;
        assertEquals(206, js.status(), context);
        assertEquals(206, ours.status(), context);
        JsonNode jsOps = Json.mapper().readTree(js.body());
        JsonNode ourOps = Json.mapper().readTree(oursText);
        assertEquals(List.of("Sleep", "Sleep", "WaitForEvent", "WaitForSignal", "InvokeFunction"), jsOps.findValuesAsText("op"), context);
        assertEquals(jsOps.findValuesAsText("op"), ourOps.findValuesAsText("op"), context);
        for (int i = 0; i < jsOps.size(); i++) {
            assertEquals(jsOps.get(i).path("id").asText(), ourOps.get(i).path("id").asText(), "id of op " + i + ": " + context);
        }
        // Where JS writes the duration: the sleeps' name, the others' opts.timeout.
        String[] where = {"name", "name", "timeout", "timeout", "timeout"};
        for (int i = 0; i < where.length; i++) {
            JsonNode j = jsOps.get(i);
            JsonNode o = ourOps.get(i);
            String jsWait = i < 2 ? j.path("name").asText() : j.path("opts").path("timeout").asText();
            String ourWait = i < 2 ? o.path("name").asText() : o.path("opts").path("timeout").asText();
            assertEquals("", jsWait, "JS sends \"\" (" + where[i] + " of op " + i + "): " + context);
            assertEquals("0s", ourWait, "Loomstep sends \"0s\" (" + where[i] + " of op " + i + "): " + context);
        }
    }

    /**
     * A sendEvent or sendSignal step whose request failed: both SDKs answer the executed op with the error
     * (StepError while retries remain, StepFailed on the last attempt) and keep its opts, {@code type} (and the
     * {@code signal}), so an executor still knows what kind of step failed. The messages are each SDK's own.
     */
    @Test
    void aFailedSendKeepsItsOptsAsJsDoes() throws IOException {
        for (String name : List.of("send/empty", "signal-send/empty")) {
            for (boolean last : List.of(false, true)) {
                eventApi.clear();
                eventApi.failWith(500);
                Fixtures.Case c = Fixtures.get(name);
                ObjectNode request = (ObjectNode) Json.mapper().readTree(c.body());
                if (last) {
                    ((ObjectNode) request.path("ctx")).put("max_attempts", 1);
                }
                String body = request.toString();
                JsPeer.Response js = peer.call(c.fnId(APP), c.stepId(), body);
                CallResult ours = app.call(c.fnId(APP), c.stepId(), Json.mapper().readValue(body, CallRequest.class), null);
                eventApi.clear();
                String oursText = new String(ours.body(), StandardCharsets.UTF_8);
                String context = name + (last ? " on the last attempt" : "") + "\n  JS: " + js.status() + " " + js.body()
                        + "\n  Loomstep: " + ours.status() + " " + oursText;
                assertEquals(206, js.status(), context);
                assertEquals(js.status(), ours.status(), context);
                JsonNode j = Json.mapper().readTree(js.body()).get(0);
                JsonNode o = Json.mapper().readTree(oursText).get(0);
                assertEquals(last ? "StepFailed" : "StepError", j.path("op").asText(), context);
                assertEquals(j.path("op").asText(), o.path("op").asText(), context);
                assertEquals(j.path("id").asText(), o.path("id").asText(), context);
                assertEquals(j.path("name").asText(), o.path("name").asText(), context);
                assertTrue(j.path("opts").hasNonNull("type"), "JS keeps opts.type: " + context);
                assertEquals(j.path("opts"), o.path("opts"), "opts differ: " + context);
                assertEquals(last, ours.noRetry(), context);
            }
        }
    }

    /**
     * {@code step.fetch("http://Shop.TEST/Orders", method "post")}: both name the step after the lower-cased
     * host ({@code "step.fetch: shop.test"}, so the hashed id is the same); JS sends the method as typed
     * ({@code "post"}), Loomstep upper-cased, as the Fetch standard normalises it (engine/README.md).
     */
    @Test
    void aFetchStepIsNamedAfterTheLowerCasedHostAsJsDoes() throws IOException {
        String body = Fixtures.body("fetch-case/empty");
        JsPeer.Response js = peer.call(APP + "-fetch-case", "step", body);
        CallResult ours = app.call(APP + "-fetch-case", "step", Json.mapper().readValue(body, CallRequest.class), null);
        String oursText = new String(ours.body(), StandardCharsets.UTF_8);
        String context = "\n  JS: " + js.status() + " " + js.body() + "\n  Loomstep: " + ours.status() + " " + oursText;
        assertEquals(206, js.status(), context);
        assertEquals(206, ours.status(), context);
        JsonNode j = Json.mapper().readTree(js.body()).get(0);
        JsonNode o = Json.mapper().readTree(oursText).get(0);
        assertEquals("step.fetch: shop.test", j.path("displayName").asText(), context);
        assertEquals(j.path("displayName").asText(), o.path("displayName").asText(), context);
        assertEquals(Fixtures.sha1Hex("step.fetch: shop.test"), o.path("id").asText(), context);
        assertEquals(j.path("id").asText(), o.path("id").asText(), context);
        assertEquals(j.path("opts").path("url").asText(), o.path("opts").path("url").asText(), context);
        assertEquals("post", j.path("opts").path("method").asText(), "JS sends the method as typed: " + context);
        assertEquals("POST", o.path("opts").path("method").asText(), "Loomstep normalises it: " + context);
    }

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
        // Every field of every function must be equal (JSON object equality: key order is not significant),
        // after one normalisation: JS writes concurrency as the user gave it (a number, an object or a list),
        // Loomstep always as the list, which every executor reads the same (see engine/README.md).
        for (var e : jsFns.entrySet()) {
            JsonNode j = PeerTwins.withConcurrencyAsList(e.getValue());
            JsonNode o = ourFns.get(e.getKey());
            assertEquals(j, o, "the sync config of function " + e.getKey() + " differs\n  JS:       " + j + "\n  Loomstep: " + o);
        }
        // The functions that carry every flow-control option must really be there, with each option present.
        JsonNode flow = ourFns.get(APP + "-flow");
        for (String field : List.of("rateLimit", "throttle", "debounce", "cancel", "priority", "idempotency", "timeouts",
                "singleton", "concurrency")) {
            assertTrue(flow.hasNonNull(field), "peer-flow has " + field + ": " + flow);
        }
        assertEquals(2, flow.path("concurrency").size(), "two concurrency limits: " + flow);
        assertEquals("TZ=Europe/Paris 0 9 * * MON", flow.path("triggers").path(1).path("cron").asText(), flow.toString());
        assertEquals("30s", flow.path("triggers").path(1).path("jitter").asText(), "the cron jitter: " + flow);
        JsonNode refund = flow.path("cancel").path(2);
        assertEquals("event.data.order == async.data.order", refund.path("if").asText(), "cancelOn match becomes if: " + flow);
        assertEquals("1s", refund.path("timeout").asText(), "a 1.5 s cancelOn timeout in whole seconds: " + flow);
        assertEquals(5, jsFns.get(APP + "-flow").path("steps").path("step").path("retries").path("attempts").asInt(),
                "JS sends retries as steps.step.retries.attempts, unchanged (not retries + 1)");
        assertTrue(jsFns.get(APP + "-flow-batch").path("concurrency").isNumber(), "the number form is exercised");
        assertTrue(ourFns.get(APP + "-flow-batch").hasNonNull("batchEvents"), "peer-flow-batch has batchEvents");
        assertTrue(ourFns.containsKey(APP + "-flow-failure"), "the onFailure function is synced");
    }

    private static Map<String, JsonNode> byId(JsonNode functions) {
        var m = new TreeMap<String, JsonNode>();
        functions.forEach(f -> m.put(f.path("id").asText(), f));
        return m;
    }
}
