package dev.loomstep.devserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.devserver.connect.ConnectGateway;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults between the official JS SDK's Connect worker and the devserver's gateway: a worker killed
 * mid-step, a gateway that stops answering heartbeats, and a stranger's malformed frame. Short
 * heartbeat and lease intervals keep each under a few seconds.
 */
@Timeout(120)
class JsSdkConnectFaultsTest {
    static final ConnectGateway.Settings FAST = new ConnectGateway.Settings(Duration.ofSeconds(1), Duration.ofSeconds(1),
            Duration.ofSeconds(10), Duration.ofSeconds(5), Duration.ofSeconds(2), Duration.ofSeconds(5), Duration.ofSeconds(2));

    JsPeerDevServer js;
    JsConnectWorker first;
    JsConnectWorker second;

    @AfterEach
    void stop() throws Exception {
        for (var w : new JsConnectWorker[] {first, second}) {
            if (w != null) {
                w.close();
            }
        }
        if (js != null) {
            js.close();
        }
    }

    private JsonNode connections() {
        JsonNode apps = js.api.get("/v1/apps").get("data");
        return apps.size() == 0 ? dev.loomstep.protocol.Json.nodes().arrayNode() : apps.get(0).get("connections");
    }

    private String onlyConnectionId() {
        JsonNode c = Api.await(this::connections, n -> n != null && n.size() == 1 && n.get(0).get("status").asText().equals("READY"),
                "one ready connection");
        return c.get(0).get("id").asText();
    }

    @Test
    void aRunWhoseWorkerIsKilledMidStepCompletesOnTheNextWorker() throws Exception {
        js = JsPeerDevServer.forConnect(b -> b.connectSettings(FAST));
        first = js.connectWorker("doomed-worker", Map.of("HANG_SLOW", "1"));
        String runId = js.api.runOf(js.api.send("conn/slow", Map.of()));
        first.awaitSlowStep();

        first.kill();
        second = js.connectWorker("rescue-worker", Map.of());
        JsonNode run = js.api.awaitStatus(runId, "Completed");

        assertEquals("one", run.get("output").get("first").asText(), run.toString());
        assertEquals("two from rescue-worker", run.get("output").get("second").asText(), run.toString());
        assertTrue(run.toString().contains("disconnected before it replied"), "the dropped call shows in the run: " + run);
    }

    @Test
    void aWorkerWhoseHeartbeatsGoUnansweredReconnectsAndKeepsServing() throws Exception {
        js = JsPeerDevServer.forConnect(b -> b.connectSettings(FAST));
        first = js.connectWorker("patient-worker", Map.of());
        String before = onlyConnectionId();

        js.dev.connectGateway().answerHeartbeats(false);
        Api.await(this::connections, c -> c.size() >= 1 && !c.toString().contains(before), "the worker to drop its silent connection and open another");
        js.dev.connectGateway().answerHeartbeats(true);

        String after = onlyConnectionId();
        assertNotEquals(before, after);
        JsonNode run = js.api.awaitStatus(js.api.runOf(js.api.send("conn/steps", Map.of("n", 1))), "Completed");
        assertEquals(3, run.get("output").get("sum").asInt(), run.toString());
    }

    @Test
    void aStepThatOutlivesTheLeaseCompletesInOneAttemptBecauseTheWorkerExtendsIt() throws Exception {
        js = JsPeerDevServer.forConnect(b -> b.connectSettings(FAST)); // 5 s leases, extended every second
        first = js.connectWorker("slow-worker", Map.of("SLOW_MS", "7000"));

        JsonNode run = js.api.awaitStatus(js.api.runOf(js.api.send("conn/slow", Map.of())), "Completed");

        assertEquals("two from slow-worker", run.get("output").get("second").asText(), run.toString());
        for (JsonNode step : run.get("steps")) {
            assertEquals(1, step.get("attempts").asInt(), "no step was retried: " + run);
        }
        assertEquals(0, run.get("attempt_errors").size(), run.toString());
    }

    @Test
    void inProductionModeAWorkerConnectsWithTheHashedSigningKeyAndRuns() throws Exception {
        String key = "signkey-test-" + "ab".repeat(32);
        js = JsPeerDevServer.forConnect(b -> b.production().signingKey(key).eventKey("test-key"));
        first = js.connectWorker("prod-worker", Map.of("INNGEST_DEV", "0", "INNGEST_SIGNING_KEY", key));

        JsonNode run = js.api.awaitStatus(js.api.runOf(js.api.send("conn/steps", Map.of("n", 2))), "Completed");

        assertEquals(6, run.get("output").get("sum").asInt(), run.toString());
    }

    @Test
    void afterTheDevserverRestartsTheWorkerReconnectsAndAWaitingRunResumes(@TempDir Path dir) throws Exception {
        int port;
        try (var s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path db = dir.resolve("dev.db");
        js = JsPeerDevServer.forConnect(b -> b.port(port).database(db).connectSettings(FAST));
        first = js.connectWorker("survivor", Map.of());
        String runId = js.api.runOf(js.api.send("conn/wait", Map.of("id", 9)));
        Api.await(() -> js.api.run(runId).get("steps"), s -> s.size() == 1, "the run to wait");

        js.dev.close(); // GATEWAY_CLOSING, then down: the worker retries with its backoff
        try (DevServer again = DevServer.builder().port(port).connectPort(0).database(db).retryDelayScale(0.001)
                .connectSettings(FAST).start()) {
            var api = new Api(again);
            Api.await(() -> api.get("/v1/apps").get("data").get(0).get("connections"),
                    c -> c.size() == 1 && c.get(0).get("status").asText().equals("READY"), "the worker to reconnect to the new devserver");
            api.send("conn/approve", Map.of("id", 9));

            JsonNode run = api.awaitStatus(runId, "Completed");
            assertEquals(9, run.get("output").get("approved").asInt(), run.toString());
        }
    }

    @Test
    void aMalformedFrameClosesOnlyTheConnectionThatSentIt() throws Exception {
        js = JsPeerDevServer.forConnect(b -> b.connectSettings(FAST));
        first = js.connectWorker("steady-worker", Map.of());
        String steady = onlyConnectionId();

        try (var raw = RawConnectSocket.open(js.dev)) {
            raw.awaitFrames(1); // GATEWAY_HELLO
            raw.sendBinary(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, 0x7f, 0x01});
            assertEquals("UNEXPECTED", raw.awaitClose().reason());
        }

        assertEquals(steady, onlyConnectionId(), "the JS worker's connection is untouched");
        JsonNode run = js.api.awaitStatus(js.api.runOf(js.api.send("conn/parallel", Map.of())), "Completed");
        assertEquals(6, run.get("output").get("sum").asInt(), run.toString());
    }
}
