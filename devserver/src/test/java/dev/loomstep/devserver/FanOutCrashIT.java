package dev.loomstep.devserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.testkit.ChildJvm;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A SIGKILL in the middle of a 1,000-way fan-out run inside one call (the default checkpointing): of
 * the app ({@link FanOutAppMain} in a JVM of its own), and separately of the devserver (its real jar on
 * a database file). Half the branches end and are committed through the checkpoint API; the other half
 * are still running when the kill comes. The run must complete with the right sum, no branch step the
 * devserver committed may run again, and every other branch step runs at least once.
 */
@Timeout(240)
class FanOutCrashIT {
    static final int N = FanOutAppMain.BRANCHES;
    static final long SUM = (long) N * (N - 1) / 2;

    @TempDir
    Path dir;

    ChildJvm app;
    ChildJvm devJar;
    DevServer dev;

    @AfterEach
    void stop() throws Exception {
        if (app != null) {
            app.close();
        }
        if (devJar != null) {
            devJar.close();
        }
        if (dev != null) {
            dev.close();
        }
    }

    @Test
    void aSigkilledAppLosesNoCommittedBranchAndTheFanOutCompletesOnTheNextApp() throws Exception {
        // An app outage costs attempts (a refused call is a failed attempt, as in Inngest): ten retries at 2 %
        // of Inngest's backoff (0.3 s, 0.6 s, 1.2 s, ...) outlast the new app's start.
        dev = DevServer.builder().port(0).inMemory().retryDelayScale(0.02).start();
        Api api = new Api(dev);
        int appPort = freePort();
        Path ledger = dir.resolve("ledger");
        app = startApp(dev.url(), appPort, ledger, "hold", dir.resolve("app-1.log"));
        String runId = api.runOf(api.send("crash/fan", Map.of()));

        Set<String> committed = awaitHalfCommitted(api, runId);
        assertEquals(137, app.kill(), "the app was killed by SIGKILL");
        int[] before = FanOutAppMain.ends(ledger);

        app = startApp(dev.url(), appPort, ledger, "free", dir.resolve("app-2.log"));
        JsonNode run = api.awaitEnd(runId, "Completed", Duration.ofSeconds(120), "the fan-out to complete on the new app");
        assertEquals(SUM, run.get("output").asLong(), run.toString());
        int[] ends = FanOutAppMain.ends(ledger);
        for (int i = 0; i < N; i++) {
            assertEquals(1, ends[i], "branch " + i + " ended once (the killed app ended none it did not commit)");
            if (committed.contains("b" + i)) {
                assertEquals(1, before[i], "branch " + i + " was committed before the kill");
            }
        }
        assertEquals(N, completedSteps(api.run(runId)).size(), "every branch step is in the run");
    }

    @Test
    void aSigkilledDevserverLosesNoCommittedBranchAndTheFanOutCompletesAfterItsRestart() throws Exception {
        Path db = dir.resolve("dev.db");
        int devPort = freePort();
        String devUrl = "http://127.0.0.1:" + devPort;
        devJar = startDevJar(devPort, db, "dev-1.log");
        Api api = new Api(devUrl);
        Path ledger = dir.resolve("ledger");
        Path gate = dir.resolve("gate");
        app = startApp(devUrl, freePort(), ledger, gate.toString(), dir.resolve("app.log"));
        String runId = api.runOf(api.send("crash/fan", Map.of()));

        Set<String> committed = awaitHalfCommitted(api, runId);
        assertEquals(137, devJar.kill(), "the devserver was killed by SIGKILL");
        // The held branches end now, while no executor answers: their checkpoint and the call's answer fail.
        Files.writeString(gate, "open");
        Api.await(() -> sum(endsOf(ledger)), n -> n >= N, "every branch body to end once in the app");

        devJar = startDevJar(devPort, db, "dev-2.log");
        JsonNode run = api.awaitEnd(runId, "Completed", Duration.ofSeconds(120), "the fan-out to complete after the restart");
        assertEquals(SUM, run.get("output").asLong(), run.toString());
        int[] ends = FanOutAppMain.ends(ledger);
        for (int i = 0; i < N; i++) {
            assertTrue(ends[i] >= 1 && ends[i] <= 2, "branch " + i + " ended " + ends[i] + " times");
            if (committed.contains("b" + i)) {
                assertEquals(1, ends[i], "branch " + i + " was committed before the kill and must not run again");
            }
        }
        assertEquals(N, completedSteps(run).size(), "every branch step is in the run");
    }

    /** Waits until the devserver committed the branches that are not held; returns the committed steps' names. */
    private static Set<String> awaitHalfCommitted(Api api, String runId) {
        return Api.await(() -> completedSteps(api.run(runId)), s -> s.size() >= N / 2, "half the branches to be committed");
    }

    private static Set<String> completedSteps(JsonNode run) {
        var names = new HashSet<String>();
        for (JsonNode s : run.get("steps")) {
            if (s.path("status").asText().equals("completed")) {
                names.add(s.get("name").asText());
            }
        }
        return names;
    }

    private ChildJvm startApp(String devUrl, int port, Path ledger, String mode, Path log) throws Exception {
        var cmd = ChildJvm.java(List.of("-cp", System.getProperty("java.class.path")),
                List.of(FanOutAppMain.class.getName(), devUrl, Integer.toString(port), ledger.toString(), mode));
        return ChildJvm.start(cmd, Map.of("INNGEST_DEV", devUrl), log, FanOutAppMain.READY, Duration.ofSeconds(60));
    }

    private ChildJvm startDevJar(int port, Path db, String logName) throws Exception {
        var cmd = StandaloneJar.command(List.of("-XX:TieredStopAtLevel=1"),
                List.of("--port", Integer.toString(port), "--db", db.toString(), "--retry-delay-scale", "0.001"));
        return ChildJvm.start(cmd, Map.of(), dir.resolve(logName), "Loomstep devserver listening on ", Duration.ofSeconds(60));
    }

    private static int[] endsOf(Path ledger) {
        try {
            return FanOutAppMain.ends(ledger);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static int sum(int[] xs) {
        int s = 0;
        for (int x : xs) {
            s += x;
        }
        return s;
    }

    private static int freePort() throws IOException {
        try (var s = new ServerSocket(0)) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        }
    }
}
