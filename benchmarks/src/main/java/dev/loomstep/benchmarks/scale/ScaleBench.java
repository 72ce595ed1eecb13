package dev.loomstep.benchmarks.scale;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Event;
import dev.loomstep.Function;
import dev.loomstep.Loomstep;
import dev.loomstep.Trigger;
import dev.loomstep.WaitForEvent;
import dev.loomstep.protocol.Json;
import dev.loomstep.undertow.LoomstepServer;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Bounded memory at scale: {@code N} real runs parked at once in the standalone devserver (its own JVM,
 * a capped heap, SQLite on disk), half in {@code step.sleepUntil}, half in a {@code step.waitForEvent}
 * that times out, all served by a Loomstep app over loopback HTTP. It reports the devserver's live heap
 * after a full GC with nothing pending and with {@code N} pending, restarts the devserver on the same
 * database and reports how long it takes to answer and to page its first window of timers, then lets
 * every timer fire and reports how late each run woke (p50/p99/max) and that each woke exactly once.
 *
 * <p>Each run's wake-up time is {@code --sleep} after its first call, so timers come due at the pace the
 * runs were parked (a pace the devserver sustained), and lateness measures the queue, not a burst.
 *
 * <pre>java -cp benchmarks.jar dev.loomstep.benchmarks.scale.ScaleBench [--runs 100000] [--sleep 420]
 *     [--heap 256m] [--batch 500] [--out FILE]</pre>
 */
public final class ScaleBench {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final Pattern HISTOGRAM_TOTAL = Pattern.compile("(?m)^Total\\s+(\\d+)\\s+(\\d+)\\s*$");

    /** The event data: the run's index. */
    public record Wake(int i) {}

    private final int runs;
    private final Duration sleep;
    private final String heap;
    private final int batch;
    private final Path dir;
    private final Path java;
    private final Path jar;
    private final int port;
    /** How late each run woke (ms), by index; a second waking of a run counts in {@link #wokeTwice}. */
    private final Map<Integer, Long> lateness = new ConcurrentHashMap<>();
    private final AtomicInteger wokeTwice = new AtomicInteger();
    private final StringBuilder report = new StringBuilder();
    /** The largest classes of the heap with every run pending: where the bytes are, if there are too many. */
    private String pendingHistogram = "";
    private String histogramWithPending = "";

    private ScaleBench(int runs, Duration sleep, String heap, int batch, Path dir, Path jar) throws IOException {
        this.runs = runs;
        this.sleep = sleep;
        this.heap = heap;
        this.batch = batch;
        this.dir = dir;
        this.jar = jar;
        this.java = Path.of(ProcessHandle.current().info().command().orElseThrow());
        try (var s = new ServerSocket(0)) {
            this.port = s.getLocalPort(); // the same port across the restart, so the app needs no new URL
        }
    }

    public static void main(String[] args) throws Exception {
        if (System.getProperty("org.jboss.logging.provider") == null) {
            System.setProperty("org.jboss.logging.provider", "slf4j");
        }
        int runs = 100_000;
        Duration sleep = Duration.ofSeconds(420);
        String heap = "256m";
        int batch = 500;
        Path out = null;
        Path jar = Path.of(ScaleBench.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--runs" -> runs = Integer.parseInt(args[++i]);
                case "--sleep" -> sleep = Duration.ofSeconds(Long.parseLong(args[++i].replaceAll("s$", "")));
                case "--heap" -> heap = args[++i];
                case "--batch" -> batch = Integer.parseInt(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + " (options: --runs N, --sleep SECONDS, --heap SIZE, --batch N, --out FILE)");
            }
        }
        Path dir = Files.createTempDirectory("loomstep-scale");
        var bench = new ScaleBench(runs, sleep, heap, batch, dir, jar);
        int failures = bench.run();
        System.out.print(bench.report);
        if (out != null) {
            Files.writeString(out, bench.report);
        }
        System.exit(failures == 0 ? 0 : 1);
    }

    private int run() throws Exception {
        String devUrl = "http://127.0.0.1:" + port;
        long sleepMs = sleep.toMillis();
        // The wake-up time is planned in the run's first call (a memoized step), so timers come due at
        // the pace the devserver parked the runs, a pace it sustained; lateness then measures the queue.
        var sleeper = Function.builder("sleeper").trigger(Trigger.event("scale/sleep")).handler(Wake.class, (input, step) -> {
            int i = input.data().i();
            long wakeAt = step.run("plan", Long.class, () -> System.currentTimeMillis() + sleepMs);
            step.sleepUntil("nap", Instant.ofEpochMilli(wakeAt));
            step.run("woke", Long.class, () -> woke(i, wakeAt));
            return i;
        });
        var waiter = Function.builder("waiter").trigger(Trigger.event("scale/wait")).handler(Wake.class, (input, step) -> {
            int i = input.data().i();
            long wakeAt = step.run("plan", Long.class, () -> System.currentTimeMillis() + sleepMs);
            // Nobody sends scale/never: each wait times out at its wake-up time, a pause row until then.
            Duration left = Duration.ofMillis(Math.max(1, wakeAt - System.currentTimeMillis()));
            step.waitForEvent("never", JsonNode.class, WaitForEvent.of("scale/never").timeout(left)
                    .ifExpression("async.data.i == event.data.i"));
            step.run("woke", Long.class, () -> woke(i, wakeAt));
            return i;
        });
        Loomstep app = Loomstep.builder("scale").dev(devUrl).functions(sleeper, waiter).build();
        Path db = dir.resolve("scale.db");
        int failures = 0;
        try (LoomstepServer server = LoomstepServer.builder(app).port(0).start()) {
            long firstStart = System.nanoTime();
            Process dev = startDevServer(db, "first");
            try {
                awaitHealthy(devUrl, Duration.ofMinutes(1));
                double emptyStart = seconds(firstStart);
                server.register(devUrl);
                long idleHeap = liveHeap(dev);
                line("devserver heap cap", "-Xmx" + heap + " (a bigger need fails the run with OutOfMemoryError)");
                line("start on an empty database: answering", String.format(Locale.ROOT,
                        "%.2f s after the JVM was started (the JVM's own start-up, for comparison with the restart)", emptyStart));
                line("live heap, nothing pending (after full GC)", mib(idleHeap));

                // ---- park N runs
                long began = System.nanoTime();
                for (int from = 0; from < runs; from += batch) {
                    var events = new ArrayList<Event>(batch);
                    for (int i = from; i < Math.min(runs, from + batch); i++) {
                        events.add(Event.of(i % 2 == 0 ? "scale/sleep" : "scale/wait", new Wake(i)));
                    }
                    try {
                        app.send(events);
                    } catch (RuntimeException e) {
                        alive(dev); // says so when the devserver died (out of heap) rather than only that it did not answer
                        throw e;
                    }
                }
                double sent = seconds(began);
                Counts parked = awaitParked(dev, db, Duration.ofMinutes(30));
                double parkedAfter = seconds(began);
                line("runs parked", String.format(Locale.ROOT, "%d (%d sleeping, %d waiting), events sent in %.1f s, all parked after %.1f s (%.0f runs/s)",
                        parked.timers(), parked.wakes(), parked.waits(), sent, parkedAfter, runs / parkedAfter));
                line("live heap, " + runs + " pending, right after parking (after full GC)", mib(liveHeap(dev))
                        + " (includes the SDK connections still pooled from creating the runs)");
                // The devserver's HTTP client keeps idle SDK connections (and their buffers) for 30 s.
                Thread.sleep(Duration.ofSeconds(35));
                long fullHeap = liveHeap(dev);
                histogramWithPending = pendingHistogram;
                line("live heap, " + runs + " pending, 35 s later (after full GC)", mib(fullHeap) + String.format(Locale.ROOT,
                        " (%.0f bytes per pending run over idle)", (fullHeap - idleHeap) / (double) runs));
                line("queue in memory", queueStats(devUrl));

                // ---- restart on the same database
                dev.destroy(); // SIGTERM: the devserver closes its store and exits
                if (!dev.waitFor(60, TimeUnit.SECONDS)) {
                    dev.destroyForcibly();
                }
                long restart = System.nanoTime();
                dev = startDevServer(db, "restarted");
                awaitHealthy(devUrl, Duration.ofMinutes(5));
                double healthy = seconds(restart);
                awaitFirstPage(devUrl, Duration.ofMinutes(5));
                double paged = seconds(restart);
                line("restart with " + runs + " pending: answering", String.format(Locale.ROOT,
                        "%.2f s after the JVM was started (JVM start-up included)", healthy));
                line("restart: first window of timers paged in", String.format(Locale.ROOT, "%.2f s after the JVM was started", paged));
                line("live heap after the restart (after full GC)", mib(liveHeap(dev)));
                long firstDue = firstDue(db);
                if (firstDue < System.currentTimeMillis()) {
                    line("warning", "timers came due before the restart finished: lateness includes the downtime; raise --sleep");
                }

                // ---- let every timer fire
                Duration budget = sleep.plus(Duration.ofSeconds((long) parkedAfter * 2 + 600));
                long deadline = System.nanoTime() + budget.toNanos();
                while (lateness.size() < runs && System.nanoTime() < deadline) {
                    alive(dev);
                    Thread.sleep(500);
                }
                Counts after = counts(db);
                line("runs woken", lateness.size() + " of " + runs + "; woken twice: " + wokeTwice.get()
                        + "; timers left: " + after.timers() + "; completed: " + after.completed());
                long[] late = lateness.values().stream().mapToLong(Long::longValue).sorted().toArray();
                if (late.length > 0) {
                    line("lateness (woke − due)", String.format(Locale.ROOT, "p50 %d ms · p90 %d ms · p99 %d ms · max %d ms",
                            pct(late, 50), pct(late, 90), pct(late, 99), late[late.length - 1]));
                }
                line("queue in memory at the end", queueStats(devUrl));
                if (lateness.size() != runs) {
                    failures++;
                }
                if (wokeTwice.get() != 0) {
                    failures++;
                }
            } finally {
                dev.destroy();
                if (!dev.waitFor(60, TimeUnit.SECONDS)) {
                    dev.destroyForcibly();
                }
            }
        }
        report.append("\nThe devserver's largest classes with every run pending (jcmd GC.class_histogram):\n\n```\n")
                .append(histogramWithPending).append("```\n");
        report.append(String.format(Locale.ROOT, "%n(%d runs; devserver: standalone JVM, %s, SQLite WAL on disk; %d cores; %s)%n",
                runs, "-Xmx" + heap, Runtime.getRuntime().availableProcessors(), Runtime.version()));
        return failures;
    }

    private long woke(int i, long wakeAt) {
        long late = System.currentTimeMillis() - wakeAt;
        if (lateness.putIfAbsent(i, late) != null) {
            wokeTwice.incrementAndGet();
        }
        return late;
    }

    private Process startDevServer(Path db, String name) throws IOException {
        var cmd = new ArrayList<>(List.of(java.toString(), "-Xmx" + heap, "--enable-native-access=ALL-UNNAMED"));
        if (Runtime.version().feature() >= 24) {
            cmd.add("--sun-misc-unsafe-memory-access=allow");
        }
        cmd.addAll(List.of("-Dorg.jboss.logging.provider=slf4j", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                "-XX:+HeapDumpOnOutOfMemoryError", "-XX:HeapDumpPath=" + dir, "-XX:+ExitOnOutOfMemoryError",
                "-cp", jar.toString(), "dev.loomstep.devserver.DevServer", "--port", Integer.toString(port), "--db", db.toString()));
        Path log = dir.resolve("devserver-" + name + ".log");
        System.err.println("devserver (" + name + ") logs to " + log);
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /** Live bytes after a full GC: {@code jcmd GC.class_histogram} collects first, then counts what is left. */
    private long liveHeap(Process dev) throws IOException, InterruptedException {
        Path jcmd = java.resolveSibling("jcmd");
        Process p = new ProcessBuilder(jcmd.toString(), Long.toString(dev.pid()), "GC.class_histogram")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        p.waitFor();
        pendingHistogram = out.lines().limit(18).reduce("", (a, b) -> a + b + "\n");
        Matcher m = HISTOGRAM_TOTAL.matcher(out);
        if (!m.find()) {
            throw new IllegalStateException("no Total line in jcmd's class histogram: " + out.lines().limit(5).toList());
        }
        return Long.parseLong(m.group(2));
    }

    private record Counts(long wakes, long waits, long calls, long completed) {
        long timers() {
            return wakes + waits;
        }
    }

    /** What the devserver's database holds (only read, beside the running devserver: WAL readers never block it). */
    private Counts counts(Path db) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
             Statement s = c.createStatement()) {
            s.execute("PRAGMA busy_timeout=5000");
            return new Counts(count(s, "SELECT count(*) FROM queue WHERE kind = 'WAKE'"),
                    count(s, "SELECT count(*) FROM queue WHERE kind = 'WAIT_TIMEOUT'"),
                    count(s, "SELECT count(*) FROM queue WHERE kind IN ('DISCOVER', 'STEP')"),
                    count(s, "SELECT count(*) FROM runs WHERE status = 'Completed'"));
        }
    }

    private long firstDue(Path db) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
             Statement s = c.createStatement()) {
            return count(s, "SELECT coalesce(min(due_at), 9223372036854775807) FROM queue WHERE kind IN ('WAKE', 'WAIT_TIMEOUT')");
        }
    }

    private static long count(Statement s, String sql) throws SQLException {
        try (ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private Counts awaitParked(Process dev, Path db, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            alive(dev);
            Counts c = counts(db);
            if (c.timers() >= runs && c.calls() == 0) {
                return c;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("only " + c.timers() + " of " + runs + " runs parked within " + timeout);
            }
            if (!lateness.isEmpty()) {
                throw new IllegalStateException(lateness.size() + " runs woke before all " + runs
                        + " were parked: raise --sleep (creating the runs takes longer than it)");
            }
            Thread.sleep(500);
        }
    }

    /** Stops the benchmark at once when the devserver died (an OutOfMemoryError past the heap cap exits it). */
    private void alive(Process dev) {
        if (!dev.isAlive()) {
            throw new IllegalStateException("the devserver exited with status " + dev.exitValue()
                    + " (an OutOfMemoryError under -Xmx" + heap + " exits it and leaves a heap dump); its log is in " + dir);
        }
    }

    private static void awaitHealthy(String devUrl, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            try {
                if (HTTP.send(HttpRequest.newBuilder(URI.create(devUrl + "/health")).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(10);
        }
        throw new IllegalStateException("the devserver did not answer /health within " + timeout);
    }

    private static void awaitFirstPage(String devUrl, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (dev(devUrl).path("queue").path("pages_read").asLong() < 1) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the devserver's queue read no page within " + timeout);
            }
            Thread.sleep(10);
        }
    }

    private static String queueStats(String devUrl) throws Exception {
        JsonNode q = dev(devUrl).path("queue");
        return "held " + q.path("held").asLong() + ", at most " + q.path("peak_held").asLong() + " so far, window "
                + q.path("window").asLong() + ", pages read " + q.path("pages_read").asLong();
    }

    private static JsonNode dev(String devUrl) throws Exception {
        var r = HTTP.send(HttpRequest.newBuilder(URI.create(devUrl + "/dev")).build(), HttpResponse.BodyHandlers.ofByteArray());
        return Json.mapper().readTree(r.body());
    }

    private void line(String what, String value) {
        if (report.isEmpty()) {
            report.append("| what | figure |\n|---|---|\n");
        }
        report.append("| ").append(what).append(" | ").append(value).append(" |\n");
        System.err.println(what + ": " + value);
    }

    private static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / 1024.0 / 1024.0);
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }

    private static long pct(long[] sorted, int p) {
        int at = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, at))];
    }

}
