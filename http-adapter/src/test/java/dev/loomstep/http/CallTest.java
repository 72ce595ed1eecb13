package dev.loomstep.http;

import static dev.loomstep.http.TestApps.FALLBACK_;
import static dev.loomstep.http.TestApps.KEY_;
import static dev.loomstep.http.TestApps.STRANGER_;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Config;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** POST: call requests run through the engine, in dev and cloud mode, over each adapter. */
class CallTest extends AdapterTestBase {
    static final String A = "86f7e437faa5a7fce15d1ddcb9eaeaea377667b8"; // sha1("a")

    String call(Served served, String fn) {
        return served.url() + "?fnId=peer-" + fn + "&stepId=step";
    }

    TestHttp.Reply post(String url, byte[] body, Map<String, String> headers) {
        var all = new HashMap<>(headers);
        all.put("Content-Type", "application/json");
        return TestHttp.send("POST", url, all, body);
    }

    @ParameterizedTest
    @EnumSource(Served.Adapter.class)
    void aDiscoveryCallRunsTheFirstStepAndAnswers206ThenTheMemoizedCallFinishesWith200(Served.Adapter adapter) {
        var served = serve(adapter, apps.devApp());

        var first = post(call(served, "hello"), TestHttp.resource("calls/discover.json"), Map.of("X-Inngest-Server-Kind", "dev"));
        assertEquals(206, first.status(), first.body());
        assertProtocolHeaders(first, adapter);
        assertNull(first.header("X-Inngest-No-Retry"), "a successful step needs no retry advice");
        JsonNode op = first.json().get(0);
        assertEquals("StepRun", op.get("op").asText());
        assertEquals(A, op.get("id").asText());
        assertEquals(1, op.get("data").asInt());
        assertEquals(1, apps.stepRuns.get());

        var done = post(call(served, "hello"), TestHttp.resource("calls/a-memoized.json"), Map.of());
        assertEquals(200, done.status(), done.body());
        assertProtocolHeaders(done, adapter);
        assertEquals(1, done.json().get("a").asInt());
        assertEquals("ada", done.json().get("user").asText());
        assertEquals(1, apps.stepRuns.get(), "a memoized step does not run again");
    }

    @ParameterizedTest
    @EnumSource(Served.Adapter.class)
    void aNonRetriableFailureAnswers400WithNoRetryTrue(Served.Adapter adapter) {
        var served = serve(adapter, apps.devApp());
        var reply = post(call(served, "boom"), TestHttp.resource("calls/discover.json"), Map.of());
        assertEquals(400, reply.status(), reply.body());
        assertEquals("true", reply.header("X-Inngest-No-Retry"));
        assertEquals("NonRetriableError", reply.json().get("name").asText());
        assertEquals("no way", reply.json().get("message").asText());
    }

    @ParameterizedTest
    @EnumSource(Served.Adapter.class)
    void aRetryAfterFailureAnswers500WithRetryAfterAndNoRetryFalse(Served.Adapter adapter) {
        var served = serve(adapter, apps.devApp());
        var reply = post(call(served, "busy"), TestHttp.resource("calls/discover.json"), Map.of());
        assertEquals(500, reply.status(), reply.body());
        assertEquals("false", reply.header("X-Inngest-No-Retry"));
        assertEquals("30", reply.header("Retry-After"));
    }

    @ParameterizedTest
    @EnumSource(Served.Adapter.class)
    void aCloudCallWithAValidSignatureRunsAndTheAnswerIsSignedWithTheSameKey(Served.Adapter adapter) {
        var served = serve(adapter, apps.cloudApp());
        byte[] body = TestHttp.resource("calls/discover.json");
        var reply = post(call(served, "hello"), body, signed(body, KEY_));
        assertEquals(206, reply.status(), reply.body());
        assertProtocolHeaders(reply, adapter);
        assertSignedWith(reply, KEY_);

        var viaFallback = post(call(served, "hello"), body, signed(body, FALLBACK_));
        assertEquals(206, viaFallback.status(), viaFallback.body());
        assertSignedWith(viaFallback, FALLBACK_);
    }

    @ParameterizedTest
    @EnumSource(Served.Adapter.class)
    void aCloudCallThatIsUnsignedWronglySignedOrStaleIsRefusedWith401AndRunsNothing(Served.Adapter adapter) {
        var served = serve(adapter, apps.cloudApp());
        byte[] body = TestHttp.resource("calls/discover.json");
        byte[] other = TestHttp.resource("calls/a-memoized.json");
        Map<String, Map<String, String>> cases = Map.of(
                "missing X-Inngest-Signature", Map.of(),
                "does not match", signed(body, STRANGER_),
                "expired", signed(body, KEY_, Instant.now().minusSeconds(600)),
                "does not match the request body", signed(other, KEY_));
        cases.forEach((reason, headers) -> {
            var reply = post(call(served, "hello"), body, headers);
            String message = assertOneLineError(reply, 401);
            assertTrue(message.contains(reason), reason + " -> " + message);
            assertNoIdentityHeaders(reply);
        });
        assertEquals(0, apps.stepRuns.get(), "a refused call runs no user code");
    }

    @ParameterizedTest
    @EnumSource(Served.Adapter.class)
    void theTrustProbeIsAnsweredWithASignedEmptyBody(Served.Adapter adapter) {
        var served = serve(adapter, apps.cloudApp());
        var reply = post(served.url() + "?probe=trust", new byte[0], signed(new byte[0], KEY_));
        assertEquals(200, reply.status(), reply.body());
        assertEquals("", reply.body());
        assertSignedWith(reply, KEY_);
        assertOneLineError(post(served.url() + "?probe=trust", new byte[0], Map.of()), 401);
        assertOneLineError(post(served.url() + "?probe=nope", new byte[0], signed(new byte[0], KEY_)), 400);
    }

    @Test
    void aTrimmedCallLoadsItsEventsAndStepsFromTheExecutorsApi() {
        String event = "{\"id\":\"evt-1\",\"name\":\"demo/hello\",\"data\":{\"user\":\"grace\"},\"ts\":1700000000000}";
        var api = track(RecordingServer.scripted((r, i) -> r.pathAndQuery().endsWith("/batch")
                ? new RecordingServer.Answer(200, "[" + event + "]")
                : new RecordingServer.Answer(200, "{\"" + A + "\":{\"data\":1}}")));
        var served = serve(Served.Adapter.SERVER, apps.app(TestApps.cloud(api.origin(), TestApps.KEY, null)));
        byte[] body = TestHttp.resource("calls/use-api.json");

        var reply = post(call(served, "hello"), body, signed(body, KEY_));

        assertEquals(200, reply.status(), reply.body());
        assertEquals("grace", reply.json().get("user").asText());
        var paths = api.requests().stream().map(RecordingServer.Recorded::pathAndQuery).toList();
        assertEquals(List.of("/v0/runs/01HTTPRUN/batch", "/v0/runs/01HTTPRUN/actions"), paths);
        assertEquals("Bearer " + KEY_.bearerToken(), api.requests().get(0).header("Authorization"));
    }

    @Test
    void aTrimmedCallWhoseStateCannotBeLoadedAnswers500AndIsRetried() {
        var api = track(RecordingServer.replying(new RecordingServer.Answer(500, "{\"error\":\"db down\"}")));
        var served = serve(Served.Adapter.SERVER, apps.app(Config.from(Map.of("INNGEST_DEV", api.origin()))));
        var reply = post(call(served, "hello"), TestHttp.resource("calls/use-api.json"), Map.of());
        String message = assertOneLineError(reply, 500);
        assertTrue(message.contains("/v0/runs/01HTTPRUN/batch answered 500"), message);
        assertEquals("false", reply.header("X-Inngest-No-Retry"));
        assertEquals(0, apps.stepRuns.get());
    }
}
