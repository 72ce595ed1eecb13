package dev.loomstep.devserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.loomstep.Checkpointing;
import dev.loomstep.Function;
import dev.loomstep.Loomstep;
import dev.loomstep.Trigger;
import dev.loomstep.undertow.LoomstepServer;
import dev.loomstep.protocol.Json;
import dev.loomstep.testkit.JsPeer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Durability under real crashes: the standalone devserver ({@code java -jar target/devserver.jar}, the
 * shaded jar users run, see {@link StandaloneJar}) runs as its own JVM on one SQLite file and
 * is killed with SIGKILL ({@link Process#destroyForcibly()}) while a step executes, while runs sleep
 * on a durable timer, right after events were accepted, three times in a row at random moments, and
 * while flow control holds events (a debounce, an open batch) and keys (idempotency).
 * A real Loomstep app (the engine behind loomstep-undertow's {@link LoomstepServer}) lives in the test JVM
 * and counts every execution of every step. After each kill the devserver restarts on the same file.
 *
 * <p>What must hold: every run completes with the right output, a step whose output had been
 * committed (the devserver sent it back as memoized) never runs again, and a step may run again
 * (at-least-once) only if a kill happened while it was executing or before its output was committed:
 * executions ≤ 1 + kills during that window, and exactly 1 when no kill hit that window.
 */
@Timeout(120)
class CrashRecoveryIT {
    static final int STEPS = 5;
    static final Duration NAP = Duration.ofMillis(1_500);
    static final String START_LINE = "Loomstep devserver listening on ";

    @TempDir
    Path dir;

    /** Executions per "runId/stepId". */
    final Map<String, AtomicInteger> executions = new ConcurrentHashMap<>();
    /** Step bodies executing now, with their start time (ns). */
    final Map<String, Long> running = new ConcurrentHashMap<>();
    /** Steps that started at least once. */
    final Set<String> started = ConcurrentHashMap.newKeySet();
    /** Steps whose output the devserver has committed: a later call carried them memoized. */
    final Set<String> committed = ConcurrentHashMap.newKeySet();
    /** Kills that happened while the step had started but was not yet committed. */
    final Map<String, Integer> killsInWindow = new ConcurrentHashMap<>();
    /** Executions of a step when its commit was first seen: it must never run after that. */
    final Map<String, Integer> executionsAtCommit = new ConcurrentHashMap<>();
    /** Steps committed before some kill. */
    final Set<String> committedBeforeAKill = ConcurrentHashMap.newKeySet();

    Path db;
    Path log;
    int port;
    String devUrl;
    LoomstepServer app;
    JsPeer peer;
    HttpServer probe;
    Process devserver;
    int kills;

    @AfterEach
    void stop() {
        if (devserver != null && devserver.isAlive()) {
            devserver.destroyForcibly();
        }
        if (app != null) {
            app.close();
        }
        if (peer != null) {
            peer.close();
        }
        if (probe != null) {
            probe.stop(0);
        }
    }

    /** This test's database file, its devserver's log and a free port for it (the same across restarts). */
    private void onDatabase(String name) throws IOException {
        db = dir.resolve(name);
        log = dir.resolve("devserver.log");
        port = freePort();
        devUrl = "http://127.0.0.1:" + port;
    }

    /** {@code times} SIGKILLs, each at a random moment of the runs (not a wait for an outcome), each followed by a restart. */
    private void killAndRestartAtRandomMoments(Random random, int times) throws Exception {
        for (int i = 0; i < times; i++) {
            Thread.sleep(100 + random.nextInt(600));
            killAndRestart();
        }
    }

    /**
     * Each step of a run ran once, plus at most once per kill that hit it while it was executing or
     * {@code unsaved}; none of steps 1 to {@code committedUpTo} ran again after it was saved.
     */
    private void assertEachStepRanOnceBesidesKills(String runId, String prefix, String unsaved, int committedUpTo,
                                                   String ranAfterSaved) {
        for (int i = 1; i <= STEPS; i++) {
            String key = runId + "/s" + i;
            int ran = executions.getOrDefault(key, new AtomicInteger()).get();
            int window = killsInWindow.getOrDefault(key, 0);
            assertTrue(ran >= 1 && ran <= 1 + window, prefix + key + " ran " + ran
                    + " times with " + window + " kill(s) while it was executing or " + unsaved);
            if (window == 0) {
                assertEquals(1, ran, prefix + key + " ran again though no kill hit it");
            }
            if (i <= committedUpTo) {
                assertEquals(executionsAtCommit.get(key), ran, prefix + key + " " + ranAfterSaved);
            }
        }
    }

    @Test
    void everyRunCompletesAndNoCommittedStepRunsAgainAcrossSigkills() throws Exception {
        onDatabase("dev.db");
        // Classic calls: this scenario sees a step committed when a later call sends it memoized, which a
        // checkpointing app may never get (the JS scenario below covers checkpointing).
        app = LoomstepServer.builder(Loomstep.builder("crash").dev(devUrl).checkpointing(Checkpointing.off())
                .functions(function()).build())
                .host("127.0.0.1").port(0).start();
        Api api = new Api(devUrl);
        var events = new LinkedHashMap<String, Integer>(); // event id -> n

        // The app is synced by the devserver's -u at the first start only: the sync itself must survive.
        start(List.of("-u", app.url()));
        Api.await(() -> api.get("/v1/functions").get("data"), d -> d.size() == 1, "the app to be synced");

        // (a) SIGKILL while a step executes: the slow step s2 of a run is 0–100 ms into its 300 ms.
        for (int n = 1; n <= 3; n++) {
            events.put(api.send("crash/go", Map.of("n", n)), n);
        }
        String interrupted = Api.await(this::freshSlowStep, s -> s != null, "a slow step to start");
        killAndRestart();
        assertTrue(killsInWindow.getOrDefault(interrupted, 0) >= 1, "the kill hit step " + interrupted + " mid-execution");

        // (b) SIGKILL while runs sleep on a durable timer (and nothing else is queued for them).
        List<String> firstRuns = events.keySet().stream().map(api::runOf).toList();
        Api.await(() -> firstRuns.stream().filter(r -> sleeping(api.run(r))).count(), c -> c >= 1, "a run to sleep");
        killAndRestart();

        // (c) SIGKILL right after events were accepted: their runs are saved with the events, still queued.
        var batch = Json.nodes().arrayNode();
        for (int n = 4; n <= 6; n++) {
            batch.addObject().put("name", "crash/go").put("id", "evt-" + n).putObject("data").put("n", n);
        }
        Api.Response accepted = api.request("POST", "/e/key", Json.toString(batch));
        killAndRestart();
        assertEquals(200, accepted.status(), accepted.text());
        accepted.json().get("ids").forEach(id -> events.put(id.asText(), Integer.parseInt(id.asText().substring(4))));

        // (d) three SIGKILLs in a row at random moments, with runs in every state.
        for (int n = 7; n <= 8; n++) {
            events.put(api.send("crash/go", Map.of("n", n)), n);
        }
        long seed = System.nanoTime();
        var random = new Random(seed);
        killAndRestartAtRandomMoments(random, 3);

        // Every run completes with the right output.
        for (var e : events.entrySet()) {
            String runId = api.runOf(e.getKey());
            JsonNode run = api.awaitStatus(runId, "Completed");
            assertEquals(expected(e.getValue()), run.get("output").get("result").asInt(), "seed " + seed + ": " + run);
            assertEquals(List.of("s1", "s2", "nap", "s3", "s4", "s5"), run.get("steps").findValuesAsText("name"), run.toString());
            assertEachStepRanOnceBesidesKills(runId, "seed " + seed + ": step ", "uncommitted", STEPS, "ran after it was committed");
        }
        assertEquals(6, kills);
        assertTrue(executions.get(interrupted).get() >= 2, "the step interrupted by a kill ran again: at-least-once");
        assertFalse(committedBeforeAKill.isEmpty(), "some steps were committed before a kill");
        assertEquals(8, api.get("/v1/runs?function=crash-steps&status=Completed").get("data").size(), "no extra runs");
        assertEquals(1, api.get("/v1/apps").get("data").size(), "the app stays synced");
    }

    /**
     * Group commit acknowledges a caller only after the transaction holding its unit commits: a SIGKILL
     * while many senders' events sit in one batch must lose none that was answered 200, and the ones
     * not yet answered may or may not be there, never half-saved.
     */
    @Test
    void everyAcknowledgedEventSurvivesASigkillInTheMiddleOfConcurrentBatches() throws Exception {
        onDatabase("batches.db");
        start(List.of());
        Api api = new Api(devUrl);
        Set<String> acknowledged = ConcurrentHashMap.newKeySet();
        var killing = new java.util.concurrent.atomic.AtomicBoolean();
        var senders = new ArrayList<Thread>();
        for (int t = 0; t < 32; t++) {
            int sender = t;
            senders.add(Thread.ofVirtual().start(() -> {
                for (int i = 0; !killing.get(); i++) {
                    String id = "ack-" + sender + "-" + i;
                    String body = "{\"name\":\"crash/ack\",\"id\":\"" + id + "\",\"data\":{\"i\":" + i + "}}";
                    Api.Response r;
                    try {
                        r = api.request("POST", "/e/key", body);
                    } catch (AssertionError e) {
                        return; // the devserver died under this send: it was never acknowledged
                    }
                    if (r.status() != 200) {
                        return;
                    }
                    acknowledged.add(id);
                }
            }));
        }
        Api.await(acknowledged::size, n -> n >= 500, "500 events acknowledged");
        killing.set(true); // senders stop after the send in flight, which the kill may or may not let through
        killAndRestart();
        for (Thread sender : senders) {
            sender.join(TimeUnit.SECONDS.toMillis(30));
        }
        Set<String> lost = new java.util.TreeSet<>();
        for (String id : Set.copyOf(acknowledged)) {
            if (api.request("GET", "/v1/events/" + id, null).status() != 200) {
                lost.add(id);
            }
        }
        assertTrue(lost.isEmpty(), lost.size() + " of " + acknowledged.size() + " acknowledged events lost: " + lost);
    }

    /**
     * The same crashes against the official JS SDK with its checkpointing on (JS 4.x's default): each step
     * is reported to {@code POST /v1/checkpoint/{runId}/async} and the SDK runs the next one only once that
     * checkpoint is acknowledged, so a step whose successor has started was acknowledged, and must never
     * run again, whatever is killed when.
     */
    @Test
    void aCheckpointingJsSdkRunLosesNoAcknowledgedStepAcrossSigkills() throws Exception {
        onDatabase("dev.db");
        probe = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 50);
        probe.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        probe.createContext("/probe", this::jsStepProbe);
        probe.start();
        peer = JsPeer.start(Map.of("INNGEST_API_BASE_URL", devUrl, "INNGEST_EVENT_API_BASE_URL", devUrl,
                "PEER_PROBE_URL", "http://127.0.0.1:" + probe.getAddress().getPort() + "/probe"));
        Api api = new Api(devUrl);
        var events = new LinkedHashMap<String, Integer>();

        start(List.of("-u", peer.baseUrl().replace("/api/inngest", "/api/e2e")));
        Api.await(() -> api.get("/v1/functions").get("data"), d -> d.findValuesAsText("id").contains("e2e-crash"),
                "the JS app to be synced");

        // (a) SIGKILL while a slow step executes inside a checkpointing call.
        for (int n = 1; n <= 3; n++) {
            events.put(api.send("e2e/crash", Map.of("n", n)), n);
        }
        String interrupted = Api.await(this::freshSlowStep, s -> s != null, "a slow JS step to start");
        killAndRestart();
        assertTrue(killsInWindow.getOrDefault(interrupted, 0) >= 1, "the kill hit step " + interrupted + " mid-execution");

        // (b) SIGKILL while runs sleep.
        List<String> firstRuns = events.keySet().stream().map(api::runOf).toList();
        Api.await(() -> firstRuns.stream().filter(r -> sleeping(api.run(r))).count(), c -> c >= 1, "a JS run to sleep");
        killAndRestart();

        // (c) two SIGKILLs at random moments, with runs checkpointing, sleeping and starting.
        for (int n = 4; n <= 6; n++) {
            events.put(api.send("e2e/crash", Map.of("n", n)), n);
        }
        long seed = System.nanoTime();
        var random = new Random(seed);
        killAndRestartAtRandomMoments(random, 2);
        // One more run after the last restart: proof that this devserver process takes checkpoints.
        events.put(api.send("e2e/crash", Map.of("n", 7)), 7);

        for (var e : events.entrySet()) {
            String runId = api.runOf(e.getKey());
            JsonNode run = api.awaitStatus(runId, "Completed");
            assertEquals(expected(e.getValue()), run.get("output").get("result").asInt(), "seed " + seed + ": " + run);
            assertEquals(List.of("s1", "s2", "nap", "s3", "s4", "s5"), run.get("steps").findValuesAsText("name"), run.toString());
            // The last step's "checkpoint" is the run's end: no later execution would show a repeat.
            assertEachStepRanOnceBesidesKills(runId, "seed " + seed + ": JS step ", "unacknowledged", STEPS - 1,
                    "ran again after its checkpoint was acknowledged");
        }
        assertEquals(4, kills);
        assertTrue(executions.get(interrupted).get() >= 2, "the JS step interrupted by a kill ran again: at-least-once");
        assertFalse(committedBeforeAKill.isEmpty(), "some JS steps were acknowledged before a kill");
        JsonNode checkpoints = api.get("/dev").get("checkpoints");
        assertTrue(checkpoints.get("committed_steps").asInt() >= STEPS, "the last run checkpointed its steps: " + checkpoints);
        assertEquals(7, api.get("/v1/runs?function=e2e-crash&status=Completed").get("data").size(), "no extra runs");
    }

    /**
     * Flow control's held state under SIGKILL: a debounce still waiting, a batch still open and an
     * idempotency key already claimed are committed with the events that made them, so after a kill the
     * restarted devserver starts the debounced run once with the last event, puts the open batch's
     * events in the run that fills it, and still skips the duplicate key. A kill after the debounced run
     * started does not start it again.
     */
    @Test
    void heldDebounceOpenBatchAndIdempotencyKeySurviveASigkill() throws Exception {
        onDatabase("held.db");
        app = LoomstepServer.builder(Loomstep.builder("held").dev(devUrl).checkpointing(Checkpointing.off())
                .functions(heldFunctions()).build())
                .host("127.0.0.1").port(0).start();
        Api api = new Api(devUrl);
        start(List.of("-u", app.url()));
        Api.await(() -> api.get("/v1/functions").get("data"), d -> d.size() == 3, "the app to be synced");

        String claimed = api.send("held/idem", Map.of("order", 7));
        api.awaitStatus(api.runOf(claimed), "Completed");
        api.send("held/debounced", Map.of("n", 1));
        String lastDebounced = api.send("held/debounced", Map.of("n", 2));
        String opening = api.send("held/batched", Map.of("n", 1)); // a batch's run is listed under its first event
        api.send("held/batched", Map.of("n", 2));
        killAndRestart(); // at once: the debounce (3 s) is still waiting, the batch (60 s) still open

        String duplicate = api.send("held/idem", Map.of("order", 7));
        String other = api.send("held/idem", Map.of("order", 8));
        api.send("held/batched", Map.of("n", 3));

        JsonNode batch = api.awaitStatus(api.runOf(opening), "Completed");
        assertEquals(List.of(1, 2, 3), FlowControlEndToEndTest.ints(batch.get("output")), batch.toString());
        String debounced = api.runOf(lastDebounced);
        assertEquals(2, api.awaitStatus(debounced, "Completed").get("output").asInt());
        assertEquals(8, api.awaitStatus(api.runOf(other), "Completed").get("output").asInt());
        assertEquals(0, api.get("/v1/events/" + duplicate + "/runs").get("data").size(), "the claimed key survived the kill");

        killAndRestart(); // after the held runs started: nothing is held any more, nothing starts again
        api.send("held/idem", Map.of("order", 9)); // a run that proves this devserver process is working
        Api.await(() -> api.get("/v1/runs?function=held-idem&status=Completed").get("data"), d -> d.size() == 3,
                "the third idempotency run");
        assertEquals(1, api.get("/v1/runs?function=held-debounced").get("data").size(), "one debounced run");
        assertEquals(1, api.get("/v1/runs?function=held-batched").get("data").size(), "one batch run");
        assertEquals(Map.of("held-debounced", 1, "held-batched", 1, "held-idem", 3), Map.copyOf(heldExecutions));
    }

    /** Handler executions per function of {@link #heldFunctions()}. */
    final Map<String, Integer> heldExecutions = new ConcurrentHashMap<>();

    private List<Function<?, ?>> heldFunctions() {
        return List.of(
                Function.builder("debounced").trigger(Trigger.event("held/debounced"))
                        .debounce(dev.loomstep.flow.Debounce.of(Duration.ofSeconds(3)))
                        .handler((in, step) -> {
                            heldExecutions.merge("held-debounced", 1, Integer::sum);
                            return in.data().path("n").asInt();
                        }),
                Function.builder("batched").trigger(Trigger.event("held/batched"))
                        .batchEvents(dev.loomstep.flow.BatchEvents.of(3, Duration.ofSeconds(60)))
                        .handler((in, step) -> {
                            heldExecutions.merge("held-batched", 1, Integer::sum);
                            return in.events().stream().map(e -> e.data().path("n").asInt()).toList();
                        }),
                Function.builder("idem").trigger(Trigger.event("held/idem"))
                        .idempotency("event.data.order")
                        .handler((in, step) -> {
                            heldExecutions.merge("held-idem", 1, Integer::sum);
                            return in.data().path("order").asInt();
                        }));
    }

    /**
     * The JS steps' reports: {@code start} counts an execution, and, since the SDK starts a step only after
     * the previous step's checkpoint was acknowledged (or, without checkpointing, sent back memoized), marks
     * the previous step committed; {@code end} ends it.
     */
    private void jsStepProbe(HttpExchange ex) throws IOException {
        var q = new java.util.HashMap<String, String>();
        for (String kv : ex.getRequestURI().getQuery().split("&")) {
            int eq = kv.indexOf('=');
            q.put(kv.substring(0, eq), kv.substring(eq + 1));
        }
        String key = q.get("run") + "/" + q.get("step");
        if (q.get("what").equals("start")) {
            int i = Integer.parseInt(q.get("step").substring(1));
            if (i > 1) {
                String previous = q.get("run") + "/s" + (i - 1);
                executionsAtCommit.putIfAbsent(previous, executions.getOrDefault(previous, new AtomicInteger()).get());
                committed.add(previous);
            }
            started.add(key);
            executions.computeIfAbsent(key, x -> new AtomicInteger()).incrementAndGet();
            running.put(key, System.nanoTime());
        } else {
            running.remove(key);
        }
        ex.sendResponseHeaders(204, -1);
        ex.close();
    }

    /** Five steps and a durable sleep; s2 and s4 take 300 ms. The output is a function of {@code n}. */
    private Function<?, ?> function() {
        return Function.builder("steps").trigger(Trigger.event("crash/go")).handler((in, step) -> {
            String runId = in.runId();
            int acc = in.data().path("n").asInt();
            for (int i = 1; i <= STEPS; i++) {
                if (i == 3) {
                    step.sleep("nap", NAP);
                }
                String key = runId + "/s" + i;
                int prev = acc;
                int k = i;
                boolean[] ran = {false};
                acc = step.run("s" + i, Integer.class, () -> {
                    ran[0] = true;
                    return execute(key, k % 2 == 0 ? 300 : 20, prev * 2 + k);
                });
                if (!ran[0]) {
                    // The devserver sent it memoized: its output is in the database.
                    executionsAtCommit.putIfAbsent(key, executions.get(key).get());
                    committed.add(key);
                }
            }
            return Map.of("result", acc);
        });
    }

    private int execute(String key, long millis, int result) throws InterruptedException {
        started.add(key);
        executions.computeIfAbsent(key, x -> new AtomicInteger()).incrementAndGet();
        running.put(key, System.nanoTime());
        try {
            Thread.sleep(millis); // the step's work
        } finally {
            running.remove(key);
        }
        return result;
    }

    static int expected(int n) {
        int acc = n;
        for (int i = 1; i <= STEPS; i++) {
            acc = acc * 2 + i;
        }
        return acc;
    }

    /** A slow step that started under 100 ms ago, so a kill now lands mid-execution; or null. */
    private String freshSlowStep() {
        long now = System.nanoTime();
        return running.entrySet().stream()
                .filter(e -> e.getKey().endsWith("/s2") || e.getKey().endsWith("/s4"))
                .filter(e -> now - e.getValue() < TimeUnit.MILLISECONDS.toNanos(100))
                .map(Map.Entry::getKey).findFirst().orElse(null);
    }

    private static boolean sleeping(JsonNode run) {
        for (JsonNode s : run.get("steps")) {
            if (s.get("op").asText().equals("Sleep") && s.get("status").asText().equals("waiting")) {
                return run.get("status").asText().equals("Running");
            }
        }
        return false;
    }

    // ---------------------------------------------------------------- the devserver process

    private void start(List<String> extra) throws IOException, InterruptedException {
        var args = new ArrayList<>(List.of(
                "--port", Integer.toString(port), "--db", db.toString(), "--retry-delay-scale", "0.001"));
        args.addAll(extra);
        var cmd = StandaloneJar.command(List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"), args);
        devserver = new ProcessBuilder(cmd)
                .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Process p = devserver;
        Thread.ofVirtual().start(() -> {
            try (var r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    lines.add(line);
                }
            } catch (IOException ignored) {
                // the process was killed
            }
        });
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        String line;
        do {
            line = lines.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } while (line != null && !line.startsWith(START_LINE));
        if (line == null || !line.startsWith(START_LINE + devUrl) || !line.contains(db.toString())) {
            throw new AssertionError("the devserver did not print its start-up line (got " + line + "); its log:\n" + logTail());
        }
    }

    /** SIGKILLs the devserver, notes which steps were exposed, and starts it again on the same file. */
    private void killAndRestart() throws IOException, InterruptedException {
        devserver.destroyForcibly();
        assertTrue(devserver.waitFor(10, TimeUnit.SECONDS), "the killed devserver exits");
        assertFalse(devserver.isAlive());
        assertEquals(137, devserver.exitValue(), "killed by SIGKILL, not stopped cleanly");
        kills++;
        // Calls the dead process had already sent may still start their step bodies: let them, then note
        // every step that started but was not committed; each may run once more after the restart.
        Thread.sleep(150);
        for (String key : started) {
            if (committed.contains(key)) {
                committedBeforeAKill.add(key);
            } else {
                killsInWindow.merge(key, 1, Integer::sum);
            }
        }
        start(List.of());
    }

    private String logTail() {
        try {
            List<String> all = Files.readAllLines(log);
            return String.join("\n", all.subList(Math.max(0, all.size() - 40), all.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    private static int freePort() throws IOException {
        try (var s = new ServerSocket(0)) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        }
    }
}
