package dev.loomstep.devserver;

import static dev.loomstep.devserver.FakeSdk.done;
import static dev.loomstep.devserver.FakeSdk.fail;
import static dev.loomstep.devserver.FakeSdk.ops;
import static dev.loomstep.devserver.FakeSdk.raw;
import static dev.loomstep.devserver.FakeSdk.stepRun;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Config;
import dev.loomstep.devserver.api.HttpApi;
import dev.loomstep.protocol.Json;
import dev.loomstep.protocol.WireError;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Bad input from both sides, over real HTTP: clients sending what the API cannot take, and SDKs
 * answering what the protocol does not allow. Every refusal is one line a user understands; a broken
 * SDK fails its own runs (after retries) and nothing else.
 */
@Timeout(60)
class BadInputTest extends ScriptedDevServerTest {
    static void assertOneLineError(Api.Response r, int status, String mentions) {
        assertEquals(status, r.status(), r.text());
        assertEquals(status, r.json().get("status").asInt(), r.text());
        String error = r.json().get("error").asText();
        assertTrue(error.contains(mentions), "\"" + error + "\" should mention " + mentions);
        assertFalse(r.text().contains("\n"), "one line: " + r.text());
        assertFalse(r.text().contains("Exception") || r.text().contains("\tat "), "no stack traces: " + r.text());
    }

    @Test
    void refusesAnEventBodyOverTheSizeLimitWith413BeforeReadingIt() throws Exception {
        // A raw request announcing a body over the limit: the answer must come without the body being sent.
        try (var socket = new Socket("127.0.0.1", dev.port())) {
            socket.setSoTimeout(10_000);
            String head = "POST /e/key HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: "
                    + (HttpApi.MAX_BODY_BYTES + 1) + "\r\n\r\n{\"name\":\"test/big\",\"data\":{\"x\":\"";
            socket.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            String answer = new String(socket.getInputStream().readNBytes(4096), StandardCharsets.UTF_8);
            String status = answer.lines().findFirst().orElse("");
            String body = answer.substring(answer.indexOf("\r\n\r\n") + 4);
            assertEquals("HTTP/1.1 413 Request Entity Too Large", status, answer);
            assertOneLineError(new Api.Response(413, Json.mapper().readTree(body), body), 413, "too large");
        }
        assertEquals(0, api.get("/v1/events").get("data").size());
        assertEquals(200, api.request("POST", "/e/key", "{\"name\":\"test/small\"}").status(), "the server stays up");
    }

    @Test
    void answersUnknownOrOddRunAndEventIdsWith404() {
        String[] ids = {"01ARZ3NDEKTSV4RRFFQ69G5FAV", "not-a-ulid", "%20", "a%2Fb", "%27%3B%20DROP%20TABLE%20runs%3B--",
                "x".repeat(2_000), "%E2%9C%93"};
        for (String id : ids) {
            assertOneLineError(api.request("GET", "/v1/runs/" + id, null), 404, "no run");
            assertOneLineError(api.request("POST", "/v1/runs/" + id + "/cancel", null), 404, "no run");
            assertOneLineError(api.request("DELETE", "/v1/runs/" + id, null), 404, "no run");
            assertOneLineError(api.request("GET", "/v0/runs/" + id + "/batch", null), 404, "no run");
            assertOneLineError(api.request("GET", "/v1/events/" + id, null), 404, "no event");
            assertOneLineError(api.request("GET", "/v1/events/" + id + "/runs", null), 404, "no event");
        }
        assertOneLineError(api.request("GET", "/v1/runs?limit=lots", null), 400, "limit");
        assertOneLineError(api.request("GET", "/v1/events?limit=0", null), 400, "limit");
        assertOneLineError(api.request("POST", "/e/key", ""), 400, "empty");
        assertOneLineError(api.request("POST", "/e/key", "{\"name\":\"x\",\"data\":\"text\"}"), 400, "\"data\" must be a JSON object");
        assertOneLineError(api.request("POST", "/e/key", "{\"data\":{}}"), 400, "\"name\" is required");
        assertOneLineError(api.request("POST", "/e/key", "{\"name\":\"x\",\"data\":{\"a\":"), 400, "not valid JSON");
        assertOneLineError(api.request("POST", "/fn/register", "<html>"), 400, "not valid JSON");
    }

    // Regressions found by HostileRequestCorpusTest.

    @Test
    void refusesASyncWhoseAppNameUrlOrTriggerEventIsNotAStringAndListsNoAppForIt() throws Exception {
        sdk.fn("f").on("test/go").handler(c -> done("ran"));
        String good = Json.toString(sdk.syncRequest());
        assertOneLineError(api.request("POST", "/fn/register", good.replace("\"appName\":\"app\"", "\"appName\":9223372036854775806")),
                400, "\"appName\" must be a non-empty string, got number");
        JsonNode tree = Json.mapper().readTree(good);
        ((com.fasterxml.jackson.databind.node.ObjectNode) tree).put("url", "ftp://example.com/api");
        assertOneLineError(api.request("POST", "/fn/register", Json.toString(tree)), 400,
                "the \"url\" of app \"app\" must be an http:// or https:// URL, got \"ftp://example.com/api\"");
        assertEquals(0, api.get("/v1/apps").get("data").size(), "no app listed, not even with an error: " + api.get("/v1/apps"));
        assertEquals(0, api.get("/v1/functions").get("data").size());
        // A body that names an app and its URL is an SDK with a broken function: its error is listed (and nothing else).
        assertOneLineError(api.request("POST", "/fn/register", good.replace("\"event\":\"test/go\"", "\"event\":1")), 400,
                "function \"app-f\" of app \"app\" has an invalid config");
        assertOneLineError(api.request("POST", "/fn/register", good.replace("\"event\":\"test/go\"", "\"event\":\" \"")), 400,
                "a trigger's \"event\" must name an event, got a blank one");
        assertEquals("error", api.get("/v1/apps").get("data").get(0).get("sync_status").asText());
        assertEquals(0, api.get("/v1/functions").get("data").size());
    }

    @Test
    void refusesACursorWhoseTimeHasMoreDigitsThanAnEpochWith400() {
        assertOneLineError(api.request("GET", "/v1/runs?cursor=99999999999999999999.a", null), 400, "cursor must be the next_cursor");
        assertOneLineError(api.request("GET", "/v1/events?cursor=99999999999999999999.a", null), 400, "cursor must be the next_cursor");
    }

    @Test
    void cutsAnErrorQuotingAHugeIdToOneShortLine() {
        Api.Response r = api.request("GET", "/v1/runs/" + "x".repeat(7_000), null);
        assertOneLineError(r, 404, "no run with id \"xxx");
        assertTrue(r.json().get("error").asText().endsWith("characters)"), r.text());
        assertTrue(r.text().length() < 1_200, "short: " + r.text().length() + " chars");
    }

    @Test
    void refusesEventKeysThatAreEmptyTooLongOrNotUrlSafe() {
        String event = "{\"name\":\"test/keyed\"}";
        String rule = "event key: must be 1 to 256 URL-safe characters (A-Z a-z 0-9 . _ ~ -)";
        for (String path : new String[] {"/e", "/e/"}) {
            assertOneLineError(api.request("POST", path, event), 400, rule + ", got an empty key");
        }
        assertOneLineError(api.request("POST", "/e/" + "k".repeat(257), event), 400, rule + ", got 257 characters");
        assertOneLineError(api.request("POST", "/e/a%20b", event), 400, rule + ", got \"a b\"");
        assertOneLineError(api.request("POST", "/e/caf%C3%A9", event), 400, rule + ", got \"café\"");
        assertOneLineError(api.request("POST", "/e/line%0Abreak", event), 400, rule + ", got \"line?break\"");
        for (String key : new String[] {"a+b", "a%2Cb", "a%3Cscript%3E", "a*", "%25"}) {
            assertOneLineError(api.request("POST", "/e/" + key, event), 400, rule);
        }
        assertEquals(0, api.get("/v1/events").get("data").size(), "a refused key stores nothing");

        // Every key our own clients send passes: Loomstep's EventClient in dev mode without INNGEST_EVENT_KEY,
        // the JS SDK's dev placeholder, the web UI's, the tests', a hex key of real length, the longest allowed.
        String loomstepDevKey = Config.from(Map.of("INNGEST_DEV", dev.url())).effectiveEventKey();
        String[] accepted = {loomstepDevKey, "NO_EVENT_KEY_SET", "dev-ui", "test-key", "a1b2".repeat(16), "k".repeat(256),
                "Az09._~-"};
        for (String key : accepted) {
            assertEquals(200, api.request("POST", "/e/" + key, event).status(), "key " + key);
        }
        assertEquals(accepted.length, api.get("/v1/events").get("data").size());
    }

    @Test
    void refusesBodiesWithContentAfterTheirJsonValueOnEveryEndpointThatTakesOne() throws Exception {
        sdk.fn("f").on("test/go").handler(c -> done("ran"));
        sdk.sync(dev);
        assertOneLineError(api.request("POST", "/e/key", "{\"name\":\"a/b\"} xyz"), 400, "not valid JSON");
        assertOneLineError(api.request("POST", "/e/key", "{\"name\":\"test/go\"} {\"name\":\"test/go\"}"), 400,
                "more content after the JSON value at line 1, column");
        assertOneLineError(api.request("POST", "/e/key", "[{\"name\":\"test/go\"}]]"), 400, "not valid JSON");
        assertOneLineError(api.request("POST", "/fn/register", Json.toString(sdk.syncRequest()) + " {}"), 400, "not valid JSON");
        assertOneLineError(api.request("POST", "/v1/functions/app-f/invoke", "{\"data\":{}} 1"), 400, "not valid JSON");
        assertEquals(0, api.get("/v1/events").get("data").size(), "no event stored");
        assertEquals(0, api.get("/v1/runs").get("data").size(), "no run started");
        assertEquals(0, sdk.calls("f").size());
        assertEquals(200, api.request("POST", "/e/key", "{\"name\":\"test/go\"}\n").status(), "trailing whitespace is fine");
    }

    @Test
    void refusesReservedInngestEventNamesFromThePublicEventApiAndChangesNothing() throws Exception {
        sdk.fn("on-failure").on("inngest/function.failed").handler(c -> done("forged"));
        sdk.fn("f").on("test/go").handler(c -> done("ran"));
        sdk.sync(dev);
        for (String name : new String[] {"inngest/function.failed", "inngest/function.finished", "inngest/function.invoked",
                "inngest/scheduled.timer", "inngest/anything"}) {
            assertOneLineError(api.request("POST", "/e/key", "{\"name\":\"" + name + "\",\"data\":{}}"), 400,
                    "the name \"" + name + "\" is reserved for internal use");
        }
        // One reserved name refuses the whole batch, before any of it is stored.
        assertOneLineError(api.request("POST", "/e/key", "[{\"name\":\"test/go\"},{\"name\":\"inngest/function.failed\"}]"), 400,
                "event 1: the name \"inngest/function.failed\" is reserved");
        assertEquals(0, api.get("/v1/events").get("data").size(), "no event stored");
        assertEquals(0, api.get("/v1/runs").get("data").size(), "no run started");
        assertEquals(0, sdk.calls("on-failure").size());
        assertEquals(0, sdk.calls("f").size());
        // Look-alikes are ordinary names.
        api.send("inngestx/function.failed", Map.of());
        assertEquals(200, api.request("POST", "/e/key", "{\"name\":\"app/inngest/function.failed\"}").status());
    }

    @Test
    void aRunFailingBeforeItsFirstStepShowsItsAttemptsAndLastErrorWhileRetriedAndCancelAnswers409OnceEnded() throws Exception {
        // The function throws outside any step; the SDK asks for a retry an hour away (Retry-After).
        sdk.fn("early").on("test/early").retries(3).handler(c -> new FakeSdk.Answer(500,
                Json.toBytes(WireError.of("Error", "database unreachable")), Map.of("Retry-After", "3600")));
        sdk.fn("doomed").on("test/doomed").retries(1).handler(c -> fail(500, "Error", "still broken", false));
        sdk.fn("ok").on("test/ok").handler(c -> done("fine"));
        sdk.sync(dev);

        String early = api.runOf(api.send("test/early", Map.of()));
        JsonNode run = Api.await(() -> api.run(early), r -> r.get("attempt_errors").size() == 1, "the first failed attempt");
        assertEquals("Running", run.get("status").asText(), run.toString());
        assertEquals(0, run.get("steps").size(), run.toString());
        assertTrue(run.get("error").isNull(), "the run has not failed yet: " + run);
        assertEquals("database unreachable", run.get("last_error").get("message").asText(), run.toString());
        JsonNode attempt = run.get("attempt_errors").get(0);
        assertEquals(1, attempt.get("attempt").asInt());
        assertEquals("database unreachable", attempt.get("error").get("message").asText());
        assertFalse(run.get("next_attempt_at").isNull(), "the pending retry is shown: " + run);
        assertEquals(attempt.get("retry_at"), run.get("next_attempt_at"));

        String doomed = api.runOf(api.send("test/doomed", Map.of()));
        JsonNode failed = api.awaitStatus(doomed, "Failed");
        assertEquals(2, failed.get("attempt_errors").size(), failed.toString());
        assertEquals("still broken", failed.get("last_error").get("message").asText());
        assertTrue(failed.get("attempt_errors").get(1).get("retry_at").isNull(), "the last attempt had no retry");
        assertTrue(failed.get("next_attempt_at").isNull());

        String ok = api.runOf(api.send("test/ok", Map.of()));
        api.awaitStatus(ok, "Completed");
        assertTrue(api.run(ok).get("attempt_errors").isEmpty());
        assertTrue(api.run(ok).get("last_error").isNull());

        Api.Response cancelled = api.request("POST", "/v1/runs/" + early + "/cancel", null);
        assertEquals(200, cancelled.status(), cancelled.text());
        assertTrue(api.run(early).get("next_attempt_at").isNull(), "no retry pending once cancelled");
        for (String[] ended : new String[][] {{early, "Cancelled"}, {doomed, "Failed"}, {ok, "Completed"}}) {
            assertOneLineError(api.request("POST", "/v1/runs/" + ended[0] + "/cancel", null), 409, "already ended as " + ended[1]);
            assertOneLineError(api.request("DELETE", "/v1/runs/" + ended[0], null), 409, "already ended as " + ended[1]);
            assertEquals(ended[1], api.run(ended[0]).get("status").asText(), "a refused cancel changes nothing");
        }
        assertEquals(1, sdk.calls("early").size(), "the retry an hour away never ran");
    }

    @Test
    void anSdkAnsweringGarbageFailsOnlyItsOwnRunsAfterRetriesWithAClearError() throws Exception {
        var expected = new LinkedHashMap<String, String>(); // function -> what its run's error says
        sdk.fn("text").on("test/go").retries(1).handler(c -> raw(200, "all good!"));
        expected.put("text", "answered 200 with a body that is not JSON: all good!");
        sdk.fn("html500").on("test/go").retries(1)
                .handler(c -> raw(500, "<html><body><h1>Internal Server Error</h1></body></html>"));
        expected.put("html500", "answered HTTP 500: <html><body><h1>Internal Server Error</h1>");
        sdk.fn("truncated").on("test/go").retries(1).handler(c -> raw(206, "[{\"id\":\"a\",\"op\":"));
        expected.put("truncated", "206 without a JSON array of ops");
        sdk.fn("noid").on("test/go").retries(1).handler(c -> raw(206, "[{\"op\":\"StepRun\",\"data\":1}]"));
        expected.put("noid", "without an id");
        sdk.fn("unknownop").on("test/go").retries(1).handler(c -> raw(206, "[{\"id\":\"a\",\"op\":\"Teleport\"}]"));
        expected.put("unknownop", "\"Teleport\"");
        sdk.fn("ok").on("test/go").handler(c -> c.has("a") ? done(c.data("a")) : ops(stepRun("a", "fine")));
        sdk.sync(dev);
        try (var hangsUp = new HangUp(); FakeSdk dead = new FakeSdk("dead"); FakeSdk rude = new FakeSdk("rude")) {
            dead.fn("f").on("test/go").retries(1);
            dead.sync(dev);
            dead.close(); // connection refused from now on
            expected.put("dead", "connection refused");
            rude.fn("f").on("test/go").retries(1);
            rude.sync(dev);
            // Re-point the synced app at a socket that accepts and hangs up without answering.
            var body = Json.toString(rude.syncRequest()).replace(rude.url(), hangsUp.url());
            assertEquals(200, api.request("POST", "/fn/register", body).status());
            expected.put("rude", "closed the connection without answering");

            String eventId = api.send("test/go", Map.of());
            JsonNode runs = Api.await(() -> api.get("/v1/events/" + eventId + "/runs").get("data"),
                    d -> d.size() == 8 && d.findValues("status").stream().noneMatch(s -> s.asText().equals("Running")),
                    "all eight runs to end");

            for (JsonNode r : runs) {
                String fn = r.get("function_id").asText().replaceFirst("^(app|dead|rude)-", "");
                if (fn.equals("ok")) {
                    assertEquals("Completed", r.get("status").asText(), r.toString());
                    assertEquals("fine", r.get("output").asText());
                    continue;
                }
                String fnKey = r.get("function_id").asText().startsWith("dead") ? "dead"
                        : r.get("function_id").asText().startsWith("rude") ? "rude" : fn;
                assertEquals("Failed", r.get("status").asText(), r.toString());
                String message = r.get("error").get("message").asText();
                assertTrue(message.contains(expected.get(fnKey)), fnKey + ": \"" + message + "\" should say " + expected.get(fnKey));
                assertFalse(message.contains("\n"), message);
            }
            for (String fn : new String[] {"text", "html500", "truncated", "noid", "unknownop"}) {
                assertEquals(2, sdk.calls(fn).size(), fn + ": retried once, then failed");
            }
            assertTrue(hangsUp.accepted >= 2, "the hang-up endpoint was retried");
        }
        assertEquals("OK", api.get("/health").get("message").asText(), "the devserver stays up");
    }

    /** An endpoint that accepts connections and closes them without a word. */
    static final class HangUp implements AutoCloseable {
        final ServerSocket socket = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
        volatile int accepted;

        HangUp() throws IOException {
            Thread.ofVirtual().start(() -> {
                while (!socket.isClosed()) {
                    try (Socket s = socket.accept()) {
                        accepted++;
                        s.getInputStream().read(new byte[1024]);
                    } catch (IOException e) {
                        return;
                    }
                }
            });
        }

        String url() {
            return "http://127.0.0.1:" + socket.getLocalPort() + "/api/inngest";
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
