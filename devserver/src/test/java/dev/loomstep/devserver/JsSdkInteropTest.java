package dev.loomstep.devserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.testkit.JsPeer;
import java.net.ServerSocket;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The devserver drives the official Inngest JS SDK (npm inngest 4.24.0, {@code testkit/js-peer}) as the
 * Inngest dev server would: synced with {@code -u}, events through {@code /e/{key}}, every op the SDK
 * sends. Skipped (with the reason) only when Node or the peer's node_modules are missing.
 */
@Timeout(60)
class JsSdkInteropTest {
    static DevServer dev;
    static JsPeer peer;
    static Api api;

    @BeforeAll
    static void start() throws Exception {
        int port;
        try (var s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        String origin = "http://127.0.0.1:" + port;
        peer = JsPeer.start(Map.of("INNGEST_API_BASE_URL", origin, "INNGEST_EVENT_API_BASE_URL", origin));
        dev = DevServer.builder().port(port).inMemory().retryDelayScale(0.001).sync(peer.baseUrl()).start();
        api = new Api(dev);
        Api.await(() -> api.get("/v1/functions").get("data"), d -> d.size() >= 18, "the JS app to be synced by -u");
    }

    @AfterAll
    static void stop() {
        if (peer != null) {
            peer.close();
        }
        if (dev != null) {
            dev.close();
        }
    }

    @Test
    void jsSdkRunsStepsASleepAndARepeatedStepId() {
        JsonNode run = api.awaitStatus(api.runOf(api.send("peer/seq", Map.of())), "Completed");

        assertEquals(6, run.get("output").get("sum").asInt(), run.toString());
        JsonNode steps = run.get("steps");
        assertEquals(4, steps.size(), steps.toString());
        assertEquals("Sleep", steps.get(2).get("op").asText());
        assertEquals(3, steps.get(3).get("output").asInt(), "the repeat of step a ran as a:1");
    }

    @Test
    void jsSdkFansOutWithPromiseAll() {
        JsonNode run = api.awaitStatus(api.runOf(api.send("peer/fanout", Map.of())), "Completed");

        assertEquals(6, run.get("output").get("sum").asInt(), run.toString());
        assertEquals(3, run.get("steps").size());
    }

    @Test
    void jsSdkWaitsForAMatchingEvent() {
        String runId = api.runOf(api.send("peer/wait", Map.of("id", 5)));
        Api.await(() -> api.run(runId).get("steps"), s -> s.size() == 1, "the JS run to wait");
        api.send("peer/approve", Map.of("id", 4));
        String approval = api.send("peer/approve", Map.of("id", 5));

        JsonNode run = api.awaitStatus(runId, "Completed");

        assertEquals(approval, run.get("output").get("got").get("id").asText(), run.toString());
    }

    @Test
    void jsSdkInvokesAnotherFunction() {
        JsonNode run = api.awaitStatus(api.runOf(api.send("peer/invoke", Map.of())), "Completed");

        assertEquals(42, run.get("output").get("result").get("doubled").asInt(), run.toString());
    }

    @Test
    void jsSdkSendsEventsThroughTheEventApi() {
        JsonNode run = api.awaitStatus(api.runOf(api.send("peer/send", Map.of())), "Completed");

        JsonNode ids = run.get("output").get("two").get("ids");
        assertEquals(2, ids.size(), run.toString());
        assertEquals("peer/sent", api.get("/v1/events/" + ids.get(0).asText()).get("data").get("name").asText());
    }

    @Test
    void jsSdkStepErrorsAreRetriedThenFailTheRun() {
        JsonNode run = api.awaitStatus(api.runOf(api.send("peer/throws", Map.of())), "Failed");

        assertEquals("kaput", run.get("error").get("message").asText(), run.toString());
        assertEquals(3, run.get("steps").get(0).get("attempts").asInt(), "retries: 2 means three attempts");
    }

    @Test
    void jsSdkCatchesAMemoizedStepErrorAndGoesOn() {
        JsonNode run = api.awaitStatus(api.runOf(api.send("peer/catches", Map.of())), "Completed");

        assertTrue(run.get("output").get("caught").asBoolean(), run.toString());
        assertEquals("recovered", run.get("output").get("after").asText());
    }

    @Test
    void jsSdkFunctionErrorsAreRetriedOrFailAtOnce() {
        String retried = api.runOf(api.send("peer/fn-throws", Map.of()));
        String final_ = api.runOf(api.send("peer/fn-nonretriable", Map.of()));

        assertEquals("function kaput", api.awaitStatus(retried, "Failed").get("error").get("message").asText());
        assertEquals("function no way", api.awaitStatus(final_, "Failed").get("error").get("message").asText());
    }

    @Test
    void jsSdkTriggerExpressionsDecideWhichEventsStartRuns() {
        String yes = api.send("peer/configured", Map.of("ok", true, "id", 1));
        String no = api.send("peer/configured", Map.of("ok", false, "id", 2));

        assertEquals("ran", api.awaitStatus(api.runOf(yes), "Completed").get("output").asText());
        assertEquals(0, api.get("/v1/events/" + no + "/runs").get("data").size());
    }
}
