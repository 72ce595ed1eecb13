package dev.loomstep.devserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.connect.ConnectionState;
import dev.loomstep.testkit.ChildJvm;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 of the standalone devserver ({@code java -jar devserver.jar}, on a database file) while a
 * Loomstep Connect worker is connected, with one run waiting for an event and one inside a step: the
 * worker reconnects by itself once the devserver is back on the same file and ports, the waiting run
 * resumes on its event, and the run whose call was in flight is called again (at-least-once: its step ran
 * once before the kill and at most once more) and completes.
 */
@Timeout(180)
class ConnectCrashIT {
    static final String START_LINE = "Loomstep devserver listening on ";

    @TempDir
    Path dir;
    ChildJvm devserver;
    LoomstepConnectWorker worker;

    @AfterEach
    void stop() {
        if (worker != null) {
            worker.close();
        }
        if (devserver != null) {
            devserver.close();
        }
    }

    private ChildJvm startDevserver(int port, int connectPort) throws Exception {
        var cmd = StandaloneJar.command(List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"), List.of("--port", Integer.toString(port),
                "--connect-gateway-port", Integer.toString(connectPort), "--db", dir.resolve("dev.db").toString(),
                "--retry-delay-scale", "0.001"));
        return ChildJvm.start(cmd, Map.of(), dir.resolve("devserver.log"), START_LINE, Duration.ofSeconds(30));
    }

    private static int freePort() throws Exception {
        try (var s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static JsonNode readyConnections(Api api) {
        JsonNode apps = api.get("/v1/apps").get("data");
        return apps.size() == 0 ? null : apps.get(0).get("connections");
    }

    @Test
    void afterAKill9OfTheDevserverTheWorkerReconnectsAndWaitingAndInFlightRunsComplete() throws Exception {
        int port = freePort();
        int connectPort = freePort();
        devserver = startDevserver(port, connectPort);
        String url = "http://127.0.0.1:" + port;
        var api = new Api(url);
        worker = LoomstepConnectWorker.start(url, "survivor", true, b -> b);
        worker.releaseSlow = new CountDownLatch(1);

        String waiting = api.runOf(api.send("conn/wait", Map.of("id", 9)));
        Api.await(() -> api.run(waiting).get("steps"), s -> s.size() == 1, "the run to wait");
        int before = LoomstepConnectWorker.SLOW_STEP_RUNS.get();
        String inFlight = api.runOf(api.send("conn/slow", Map.of()));
        assertTrue(worker.inSlowStep.await(30, TimeUnit.SECONDS), "the slow step started");

        assertEquals(137, devserver.kill(), "SIGKILL");
        Api.await(worker.connect::state, s -> s == ConnectionState.RECONNECTING, "the worker to notice the lost gateway");
        devserver = startDevserver(port, connectPort);
        Api.await(() -> readyConnections(api), c -> c != null && c.size() == 1 && c.get(0).get("status").asText().equals("READY"),
                "the worker to reconnect to the restarted devserver");
        worker.releaseSlow.countDown();
        api.send("conn/approve", Map.of("id", 9));

        JsonNode approved = api.awaitStatus(waiting, "Completed");
        assertEquals(9, approved.get("output").get("approved").asInt(), approved.toString());
        JsonNode slow = api.awaitStatus(inFlight, "Completed");
        assertEquals("two from survivor", slow.get("output").get("second").asText(), slow.toString());
        int runs = LoomstepConnectWorker.SLOW_STEP_RUNS.get() - before;
        assertTrue(runs >= 1 && runs <= 2, "the in-flight step ran once before the kill and at most once more: " + runs);
        assertEquals(ConnectionState.ACTIVE, worker.connect.state());
    }
}
