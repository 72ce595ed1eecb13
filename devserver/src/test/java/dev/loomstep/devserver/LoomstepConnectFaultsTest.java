package dev.loomstep.devserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Config;
import dev.loomstep.connect.ConnectException;
import dev.loomstep.protocol.Json;
import dev.loomstep.testkit.ChildJvm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults between Loomstep's Connect worker and the devserver's gateway, as {@link JsSdkConnectFaultsTest}
 * runs them with the JS worker: a worker JVM killed mid-step, a worker JVM told to stop mid-step
 * (SIGTERM drains), a gateway that stops answering heartbeats, a stranger's malformed frame. The
 * devserver is in this JVM with short heartbeat and lease intervals; the workers that are killed run in
 * JVMs of their own ({@link ConnectWorkerMain}).
 */
@Timeout(120)
class LoomstepConnectFaultsTest {
    DevServer dev;
    Api api;
    ChildJvm child;
    LoomstepConnectWorker worker;

    @AfterEach
    void stop() {
        if (child != null) {
            child.close();
        }
        if (worker != null) {
            worker.close();
        }
        if (dev != null) {
            dev.close();
        }
    }

    private void startDevserver() {
        dev = DevServer.builder().port(0).connectPort(0).inMemory().retryDelayScale(0.001)
                .connectSettings(JsSdkConnectFaultsTest.FAST).start();
        api = new Api(dev);
    }

    private ChildJvm childWorker(Path log, String instanceId, String slow) throws Exception {
        var cmd = ChildJvm.java(List.of("-cp", System.getProperty("java.class.path")),
                List.of(ConnectWorkerMain.class.getName(), dev.url(), instanceId, slow));
        return ChildJvm.start(cmd, Map.of(), log, ConnectWorkerMain.READY, Duration.ofSeconds(60));
    }

    private static void awaitLog(Path log, String line) {
        Api.await(() -> {
            try {
                return Files.readString(log);
            } catch (java.io.IOException e) {
                return "";
            }
        }, s -> s.contains(line), "\"" + line + "\" in " + log.getFileName());
    }

    private JsonNode connections() {
        JsonNode apps = api.get("/v1/apps").get("data");
        return apps.size() == 0 ? Json.nodes().arrayNode() : apps.get(0).get("connections");
    }

    private String onlyReadyConnectionId() {
        JsonNode c = Api.await(this::connections, n -> n.size() == 1 && n.get(0).get("status").asText().equals("READY"),
                "one ready connection");
        return c.get(0).get("id").asText();
    }

    @Test
    void aRunWhoseWorkerJvmIsKilledMidStepCompletesOnAnotherWorker(@TempDir Path dir) throws Exception {
        startDevserver();
        Path log = dir.resolve("doomed-worker.log");
        child = childWorker(log, "doomed-worker", "hang");
        String runId = api.runOf(api.send("conn/slow", Map.of()));
        awaitLog(log, ConnectWorkerMain.IN_SLOW_STEP);
        // The worker runs ahead of its checkpoint: the second step may start before the first is acknowledged.
        Api.await(() -> api.run(runId).get("steps"), s -> s.findValuesAsText("status").contains("completed"),
                "the first step to be committed");
        int before = LoomstepConnectWorker.SLOW_STEP_RUNS.get();

        worker = LoomstepConnectWorker.start(dev, "rescue-worker", true);
        assertEquals(137, child.kill(), "SIGKILL");
        JsonNode run = api.awaitStatus(runId, "Completed");

        assertEquals("one", run.get("output").get("first").asText(), run.toString());
        assertEquals("two from rescue-worker", run.get("output").get("second").asText(), run.toString());
        assertEquals(1, LoomstepConnectWorker.SLOW_STEP_RUNS.get() - before, "the rescue ran the lost step once");
        assertEquals(1, run.get("steps").get(0).get("attempts").asInt(), "the committed first step is not run again: " + run);
        assertTrue(run.toString().contains("disconnected before it replied"), "the dropped call shows in the run: " + run);
    }

    @Test
    void aSigtermMidStepDrainsTheWorkerItsReplyArrivesAndTheRunCompletesWithoutARetry(@TempDir Path dir) throws Exception {
        startDevserver();
        Path log = dir.resolve("leaving-worker.log");
        child = childWorker(log, "leaving-worker", "1500");
        String runId = api.runOf(api.send("conn/slow", Map.of()));
        awaitLog(log, ConnectWorkerMain.IN_SLOW_STEP);

        assertTrue(ProcessHandle.of(child.pid()).orElseThrow().destroy(), "SIGTERM sent");
        Api.await(this::connections, c -> c.size() == 1 && c.get(0).get("status").asText().equals("DRAINING"), "the worker to pause");
        ProcessHandle.of(child.pid()).ifPresent(h -> h.onExit().join());
        worker = LoomstepConnectWorker.start(dev, "next-worker", true); // for the run's last call
        JsonNode run = api.awaitStatus(runId, "Completed");

        assertEquals("two from leaving-worker", run.get("output").get("second").asText(), "the drained step's reply was delivered: " + run);
        for (JsonNode step : run.get("steps")) {
            assertEquals(1, step.get("attempts").asInt(), "no step was retried: " + run);
        }
        assertEquals(0, run.get("attempt_errors").size(), run.toString());
        assertTrue(Files.readString(log).contains("draining app \"conn\""), ChildJvm.tail(log, 20));
    }

    @Test
    void aWorkerWhoseHeartbeatsGoUnansweredReconnectsAndKeepsServing() {
        startDevserver();
        worker = LoomstepConnectWorker.start(dev, "patient-worker", true);
        String before = onlyReadyConnectionId();

        dev.connectGateway().answerHeartbeats(false);
        Api.await(this::connections, c -> !c.toString().contains(before), "the worker to drop its silent connection");
        dev.connectGateway().answerHeartbeats(true);

        String after = onlyReadyConnectionId();
        assertNotEquals(before, after);
        JsonNode run = api.awaitStatus(api.runOf(api.send("conn/steps", Map.of("n", 1))), "Completed");
        assertEquals(3, run.get("output").get("sum").asInt(), run.toString());
    }

    @Test
    void aMalformedFrameFromAnotherClientClosesOnlyThatConnection() throws Exception {
        startDevserver();
        worker = LoomstepConnectWorker.start(dev, "steady-worker", true);
        String steady = onlyReadyConnectionId();

        try (var raw = RawConnectSocket.open(dev)) {
            raw.awaitFrames(1); // GATEWAY_HELLO
            raw.sendBinary(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, 0x7f, 0x01});
            assertEquals("UNEXPECTED", raw.awaitClose().reason());
        }

        assertEquals(steady, onlyReadyConnectionId(), "the Loomstep worker's connection is untouched");
        JsonNode run = api.awaitStatus(api.runOf(api.send("conn/parallel", Map.of())), "Completed");
        assertEquals(6, run.get("output").get("sum").asInt(), run.toString());
    }

    @Test
    void inProductionModeTheWorkerConnectsWithTheHashedSigningKeyAndItsSignedCallsRun() {
        String key = "signkey-test-" + "cd".repeat(32);
        dev = DevServer.builder().port(0).connectPort(0).inMemory().retryDelayScale(0.001).connectSettings(JsSdkConnectFaultsTest.FAST)
                .production().signingKey(key).eventKey("test-key").start();
        api = new Api(dev);
        var cloud = Config.from(Map.of("INNGEST_BASE_URL", dev.url(), "INNGEST_SIGNING_KEY", key, "INNGEST_EVENT_KEY", "test-key"));
        worker = LoomstepConnectWorker.start(cloud, "prod-worker", true, b -> b);

        JsonNode run = api.awaitStatus(api.runOf(api.send("conn/steps", Map.of("n", 2))), "Completed");
        assertEquals(6, run.get("output").get("sum").asInt(), run.toString());
        JsonNode invoked = api.awaitStatus(api.runOf(api.send("conn/invoke", Map.of())), "Completed");
        assertEquals(42, invoked.get("output").get("result").get("doubled").asInt(), invoked.toString());
    }

    @Test
    void inProductionModeAWorkerWithAnotherKeyIsRefusedWithOneLine() {
        dev = DevServer.builder().port(0).connectPort(0).inMemory().production().signingKey("signkey-test-" + "cd".repeat(32))
                .eventKey("test-key").start();
        var wrong = Config.from(Map.of("INNGEST_BASE_URL", dev.url(), "INNGEST_SIGNING_KEY", "signkey-test-" + "ef".repeat(32)));

        var e = assertThrows(ConnectException.class,
                () -> LoomstepConnectWorker.start(wrong, "stranger", true, b -> b));
        assertTrue(e.getMessage().contains("401") && !e.getMessage().contains("\n"), "one line naming the 401: " + e.getMessage());
        assertEquals(0, new Api(dev).get("/v1/apps").get("data").size(), "nothing synced");
    }
}
