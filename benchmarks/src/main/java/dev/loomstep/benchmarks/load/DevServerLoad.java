package dev.loomstep.benchmarks.load;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Checkpointing;
import dev.loomstep.Event;
import dev.loomstep.Function;
import dev.loomstep.Loomstep;
import dev.loomstep.Trigger;
import dev.loomstep.devserver.DevServer;
import dev.loomstep.devserver.executor.SdkCallEvent;
import dev.loomstep.undertow.LoomstepServer;
import dev.loomstep.protocol.Json;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingFile;

/**
 * End-to-end load on the embedded devserver: a 10-step sequential function served by Loomstep over
 * loopback HTTP, runs started by events, state in SQLite (WAL) on disk. For 1, 100 and 1,000
 * concurrent runs: completed runs/s and p50/p99 run latency (event sent → run ended). A JFR recording of
 * the largest round tells where the time goes (HTTP, JSON, SQLite, engine, executor).
 *
 * <pre>java -cp benchmarks.jar dev.loomstep.benchmarks.load.DevServerLoad [--steps 10] [--rounds 1,100,1000] [--in-memory | --sync full|normal] [--checkpointing on|off|ahead] [--out FILE]</pre>
 */
public final class DevServerLoad {
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private DevServerLoad() {}

    public static void main(String[] args) throws Exception {
        if (System.getProperty("org.jboss.logging.provider") == null) {
            System.setProperty("org.jboss.logging.provider", "slf4j"); // Undertow logs like the rest, before it loads
        }
        int steps = 10;
        List<Integer> rounds = List.of(1, 100, 1000);
        Path out = null;
        boolean inMemory = false;
        DevServer.Sync sync = DevServer.Sync.NORMAL;
        Checkpointing checkpointing = Checkpointing.defaults();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--steps" -> steps = Integer.parseInt(args[++i]);
                case "--rounds" -> rounds = java.util.Arrays.stream(args[++i].split(",")).map(Integer::parseInt).toList();
                case "--out" -> out = Path.of(args[++i]);
                case "--in-memory" -> inMemory = true;
                case "--checkpointing" -> checkpointing = switch (args[++i]) {
                    case "on" -> Checkpointing.jsDefaults(); // the JS SDK's one checkpoint per step
                    case "off" -> Checkpointing.off();
                    case "ahead" -> Checkpointing.defaults(); // Loomstep's default: runAhead(16)
                    default -> throw new IllegalArgumentException("--checkpointing on|off|ahead, got " + args[i]);
                };
                case "--sync" -> sync = DevServer.Sync.valueOf(args[++i].toUpperCase(java.util.Locale.ROOT));
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        Path dir = Files.createTempDirectory("loomstep-devserver-load");
        int last = steps - 1;
        var fn = Function.builder("steps").trigger(Trigger.event("bench/run")).handler((input, step) -> {
            int sum = 0;
            for (int i = 0; i <= last; i++) {
                int v = i;
                sum += step.run("step-" + i, Integer.class, () -> v);
            }
            return sum;
        });
        var report = new StringBuilder();
        try (DevServer dev = (inMemory ? DevServer.builder().port(0).inMemory() : DevServer.builder().port(0).database(dir.resolve("load.db")).synchronous(sync)).start()) {
            Loomstep app = Loomstep.builder("bench").dev(dev.url()).checkpointing(checkpointing).functions(fn).build();
            try (LoomstepServer server = LoomstepServer.builder(app).port(0).start()) {
                server.register(dev.url());
                round(app, dev.url(), 200); // warm-up: JIT, connection pools, SQLite pages
                report.append("| concurrent runs | completed runs/s | p50 run latency | p99 run latency | runs | per SDK call: prepare · HTTP round trip · commit (mean) |\n");
                report.append("|---:|---:|---:|---:|---:|---|\n");
                Path jfr = dir.resolve("load.jfr");
                for (int concurrency : rounds) {
                    boolean profile = concurrency == rounds.get(rounds.size() - 1);
                    Recording recording = startRecording(profile);
                    Result r = concurrency == 1 ? sequential(app, dev.url(), 50) : round(app, dev.url(), concurrency);
                    recording.stop();
                    Path roundJfr = profile ? jfr : dir.resolve("round-" + concurrency + ".jfr");
                    recording.dump(roundJfr);
                    recording.close();
                    report.append(String.format("| %d | %.1f | %.1f ms | %.1f ms | %d | %s |%n", concurrency, r.runsPerSecond(),
                            r.percentile(50), r.percentile(99), r.latenciesMs().size(), callPhases(roundJfr)));
                }
                report.append(String.format("%n(%d sequential steps per run; SDK and devserver in one JVM on %d cores; SQLite %s)%n%n",
                        steps, Runtime.getRuntime().availableProcessors(), inMemory ? "in memory" : "WAL on disk, synchronous=" + sync));
                report.append("Where the CPU time of the ").append(rounds.get(rounds.size() - 1)).append("-run round goes (JFR samples, leaf-most matching frame):\n\n");
                report.append(breakdown(jfr));
            }
        }
        System.out.print(report);
        if (out != null) {
            Files.writeString(out, report);
        }
    }

    record Result(double runsPerSecond, List<Double> latenciesMs) {
        double percentile(int p) {
            var sorted = new ArrayList<>(latenciesMs);
            Collections.sort(sorted);
            int at = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
            return sorted.get(Math.max(0, Math.min(sorted.size() - 1, at)));
        }
    }

    /** {@code n} runs one after the other: latency without contention. */
    static Result sequential(Loomstep app, String dev, int n) throws Exception {
        var latencies = new ArrayList<Double>();
        long began = System.nanoTime();
        for (int i = 0; i < n; i++) {
            latencies.addAll(round(app, dev, 1).latenciesMs());
        }
        return new Result(n / ((System.nanoTime() - began) / 1e9), latencies);
    }

    /** {@code n} runs started by one batch of events, waited for together. */
    static Result round(Loomstep app, String dev, int n) throws Exception {
        var events = new ArrayList<Event>(n);
        for (int i = 0; i < n; i++) {
            events.add(Event.of("bench/run", Map.of("i", i)));
        }
        Instant sent = Instant.now();
        long began = System.nanoTime();
        Set<String> ids = new HashSet<>(app.send(events));
        Map<String, Instant> ended = new HashMap<>();
        long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
        while (ended.size() < n) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("only " + ended.size() + " of " + n + " runs completed within 5 minutes");
            }
            // One run: ask about its event only, so the poll every 2 ms costs the devserver little.
            String poll = n == 1 ? dev + "/v1/events/" + ids.iterator().next() + "/runs"
                    : dev + "/v1/runs?function=bench-steps&limit=" + Math.max(n * 2, 50);
            for (JsonNode run : get(poll).path("data")) {
                String event = run.path("event_id").asText();
                if (ids.contains(event) && !ended.containsKey(event)) {
                    String status = run.path("status").asText();
                    if (status.equals("Completed")) {
                        ended.put(event, Instant.parse(run.path("ended_at").asText()));
                    } else if (!status.equals("Running")) {
                        throw new IllegalStateException("a run ended " + status + ": " + run);
                    }
                }
            }
            if (ended.size() < n) {
                Thread.sleep(n == 1 ? 2 : 20);
            }
        }
        double seconds = (System.nanoTime() - began) / 1e9;
        var latencies = new ArrayList<Double>(n);
        for (Instant end : ended.values()) {
            latencies.add(Duration.between(sent, end).toNanos() / 1e6);
        }
        Instant lastEnd = Collections.max(ended.values());
        double busy = Math.max(Duration.between(sent, lastEnd).toNanos() / 1e9, 1e-6);
        return new Result(n / Math.min(busy, seconds), latencies);
    }

    /** Mean duration of each phase of the devserver's SDK calls in a recording ({@link SdkCallEvent}). */
    static String callPhases(Path jfr) throws IOException {
        long calls = 0;
        Duration prepare = Duration.ZERO;
        Duration http = Duration.ZERO;
        Duration commit = Duration.ZERO;
        for (RecordedEvent e : RecordingFile.readAllEvents(jfr)) {
            if (e.getEventType().getName().equals(SdkCallEvent.NAME)) {
                calls++;
                prepare = prepare.plus(e.getDuration("prepare"));
                http = http.plus(e.getDuration("http"));
                commit = commit.plus(e.getDuration("commit"));
            }
        }
        if (calls == 0) {
            return "–";
        }
        return String.format("%.0f µs · %.0f µs · %.0f µs (%d calls)", prepare.toNanos() / 1e3 / calls,
                http.toNanos() / 1e3 / calls, commit.toNanos() / 1e3 / calls, calls);
    }

    static JsonNode get(String url) throws IOException, InterruptedException {
        HttpResponse<byte[]> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofByteArray());
        return Json.mapper().readTree(r.body());
    }

    /** The devserver's per-call phase events always; CPU samples too when {@code profile}. */
    static Recording startRecording(boolean profile) {
        var r = new Recording();
        r.enable(SdkCallEvent.NAME).withoutThreshold();
        if (profile) {
            r.enable("jdk.ExecutionSample").withPeriod(Duration.ofMillis(2));
            r.enable("jdk.NativeMethodSample").withPeriod(Duration.ofMillis(10));
        }
        r.start();
        return r;
    }

    private static final Map<String, List<String>> BUCKETS = buckets();

    private static Map<String, List<String>> buckets() {
        var b = new LinkedHashMap<String, List<String>>();
        b.put("SQLite (JDBC driver and store)", List.of("org.sqlite.", "java.sql.", "dev.loomstep.devserver.store."));
        b.put("JSON (Jackson)", List.of("com.fasterxml.jackson."));
        b.put("HTTP (Undertow, XNIO, java.net.http, NIO)", List.of("io.undertow.", "org.xnio.", "jdk.internal.net.http.", "java.net.http.", "sun.nio.", "java.nio.channels."));
        b.put("CEL expressions", List.of("dev.cel.", "com.google."));
        b.put("SDK engine (replay, broker)", List.of("dev.loomstep.internal.", "dev.loomstep.protocol.StepIds"));
        b.put("devserver executor and queue", List.of("dev.loomstep.devserver."));
        b.put("SDK endpoint (http-adapter)", List.of("dev.loomstep.http.", "dev.loomstep.undertow."));
        b.put("virtual threads and scheduling", List.of("java.lang.VirtualThread", "jdk.internal.vm.Continuation", "java.util.concurrent."));
        return b;
    }

    /** Shares of CPU samples per part, by the leaf-most frame that belongs to a part. */
    static String breakdown(Path jfr) throws IOException {
        var counts = new LinkedHashMap<String, Integer>();
        BUCKETS.keySet().forEach(k -> counts.put(k, 0));
        counts.put("other (JIT, GC, JFR, JDK)", 0);
        int total = 0;
        int sqliteNative = 0;
        for (RecordedEvent e : RecordingFile.readAllEvents(jfr)) {
            if (e.getStackTrace() == null) {
                continue;
            }
            List<RecordedFrame> frames = e.getStackTrace().getFrames();
            if (e.getEventType().getName().equals("jdk.NativeMethodSample")) {
                if (!frames.isEmpty() && frames.get(0).getMethod().getType().getName().startsWith("org.sqlite.")) {
                    sqliteNative++;
                }
                continue;
            }
            if (!e.getEventType().getName().equals("jdk.ExecutionSample")) {
                continue;
            }
            total++;
            String bucket = "other (JIT, GC, JFR, JDK)";
            outer:
            for (RecordedFrame f : frames) {
                String type = f.getMethod().getType().getName();
                for (var b : BUCKETS.entrySet()) {
                    for (String prefix : b.getValue()) {
                        if (type.startsWith(prefix)) {
                            bucket = b.getKey();
                            break outer;
                        }
                    }
                }
            }
            counts.merge(bucket, 1, Integer::sum);
        }
        var sb = new StringBuilder("| part | share of Java CPU samples |\n|---|---:|\n");
        for (var c : counts.entrySet()) {
            sb.append(String.format("| %s | %.1f %% |%n", c.getKey(), total == 0 ? 0 : 100.0 * c.getValue() / total));
        }
        sb.append(String.format("%n%d Java samples; SQLite's native code (outside Java samples) was seen in %d native-method samples.%n", total, sqliteNative));
        return sb.toString();
    }
}
