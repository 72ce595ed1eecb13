package dev.loomstep.benchmarks.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.protocol.Json;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The one load driver of the end-to-end comparison: closed loop, {@code C} virtual threads sharing
 * one {@link HttpClient}, each starting a run and waiting for its end, then starting the next. A
 * run's latency is from the start request going out to the driver learning that the run completed:
 * <ul>
 *   <li>{@code --target devserver URL}: {@code POST URL/e/bench} with one {@code bench/run} event,
 *       then {@code GET URL/v1/events/{id}/runs/ended}, which answers when the run has ended (a
 *       long poll: no polling interval quantizes the latency);</li>
 *   <li>{@code --target restate URL}: {@code POST URL} (the handler's ingress URL), which Restate
 *       answers when the handler has completed;</li>
 *   <li>{@code --target call URL}: the same request/response as {@code restate}, for any other system
 *       whose endpoint runs the whole workflow in the call and answers its result (DBOS).</li>
 * </ul>
 * Every run's result must be the sum of its steps' values, or the driver stops with an error.
 * Per round: a warm-up at the round's concurrency, then a measured window (seconds, or a fixed number
 * of runs); completed runs/s over the window, and p50/p99 of the runs started in it. One TSV line per
 * round is appended to {@code --out}: {@code system concurrency runs_per_s p50_ms p99_ms runs}.
 *
 * <pre>java -cp benchmarks.jar dev.loomstep.benchmarks.e2e.E2eDriver --system NAME --target devserver|restate|call URL
 *     [--rounds 1,100,1000] [--seconds 10 | --runs N] [--warmup-seconds 3] [--steps 10] [--out results.tsv]</pre>
 */
public final class E2eDriver {
    /** How long one wait for a run's end may take before the driver asks again; a run gets 5 minutes in all. */
    private static final Duration LONG_POLL = Duration.ofSeconds(60);
    private static final Duration RUN_DEADLINE = Duration.ofMinutes(5);

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();
    private final Target target;
    private final String url;
    private final int expected;

    enum Target { DEVSERVER, RESTATE, CALL }

    private E2eDriver(Target target, String url, int steps) {
        this.target = target;
        this.url = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
        this.expected = steps * (steps - 1) / 2;
    }

    public static void main(String[] args) throws Exception {
        String system = null;
        Target target = null;
        String url = null;
        List<Integer> rounds = List.of(1, 100, 1000);
        double seconds = 10;
        int runs = 0;
        double warmup = 3;
        int steps = 10;
        Path out = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--system" -> system = args[++i];
                case "--target" -> {
                    target = Target.valueOf(args[++i].toUpperCase(java.util.Locale.ROOT));
                    url = args[++i];
                }
                case "--rounds" -> rounds = Arrays.stream(args[++i].split(",")).map(String::trim).map(Integer::parseInt).toList();
                case "--seconds" -> seconds = Double.parseDouble(args[++i]);
                case "--runs" -> runs = Integer.parseInt(args[++i]);
                case "--warmup-seconds" -> warmup = Double.parseDouble(args[++i]);
                case "--steps" -> steps = Integer.parseInt(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        if (system == null || target == null) {
            throw new IllegalArgumentException("--system NAME and --target devserver|restate URL are required");
        }
        var driver = new E2eDriver(target, url, steps);
        for (int concurrency : rounds) {
            Result r = driver.round(concurrency, warmup, seconds, runs);
            String line = String.format(java.util.Locale.ROOT, "%s\t%d\t%.1f\t%.2f\t%.2f\t%d%n", system, concurrency,
                    r.runsPerSecond(), r.percentile(50), r.percentile(99), r.latenciesMs().size());
            System.out.print(line);
            if (out != null) {
                Files.writeString(out, line, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            }
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

    /**
     * One round: {@code concurrency} workers in a closed loop. With {@code runs > 0} the round is that
     * many measured runs after warm-up; else the measured window is {@code seconds} long. Workers then
     * finish the run they are in, so no load spills into the next round.
     */
    Result round(int concurrency, double warmupSeconds, double seconds, int runs) throws Exception {
        long measureFrom = System.nanoTime() + (long) (warmupSeconds * 1e9);
        long windowEnd = runs > 0 ? Long.MAX_VALUE : measureFrom + (long) (seconds * 1e9);
        var tickets = new AtomicInteger(runs);
        var latencies = new ConcurrentLinkedQueue<Double>();
        var completedInWindow = new AtomicInteger();
        var firstStart = new AtomicLong(Long.MAX_VALUE);
        var lastEnd = new AtomicLong(Long.MIN_VALUE);
        try (ExecutorService workers = Executors.newVirtualThreadPerTaskExecutor()) {
            var futures = new ArrayList<Future<?>>();
            for (int w = 0; w < concurrency; w++) {
                futures.add(workers.submit(() -> {
                    while (true) {
                        long start = System.nanoTime();
                        boolean measured = start >= measureFrom;
                        if (start >= windowEnd || (runs > 0 && measured && tickets.getAndDecrement() <= 0)) {
                            return null;
                        }
                        runOnce();
                        long end = System.nanoTime();
                        if (measured) {
                            latencies.add((end - start) / 1e6);
                            firstStart.accumulateAndGet(start, Math::min);
                            lastEnd.accumulateAndGet(end, Math::max);
                            if (end <= windowEnd) {
                                completedInWindow.incrementAndGet();
                            }
                        }
                    }
                }));
            }
            for (Future<?> f : futures) {
                f.get(); // the first failure stops the benchmark with its message
            }
        }
        if (latencies.isEmpty()) {
            throw new IllegalStateException("no run was measured at concurrency " + concurrency + "; give the round more time");
        }
        double perSecond = runs > 0
                ? latencies.size() / ((lastEnd.get() - firstStart.get()) / 1e9)
                : completedInWindow.get() / ((windowEnd - measureFrom) / 1e9);
        return new Result(perSecond, new ArrayList<>(latencies));
    }

    /** Starts one run and returns once the driver knows it completed. */
    void runOnce() throws IOException, InterruptedException {
        switch (target) {
            case RESTATE, CALL -> {
                HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(RUN_DEADLINE)
                        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofByteArray());
                check(r, target == Target.RESTATE ? "the Restate ingress call" : "the call to " + url);
                JsonNode result = Json.mapper().readTree(r.body());
                if (result == null || result.asInt(Integer.MIN_VALUE) != expected) {
                    throw new IllegalStateException((target == Target.RESTATE ? "a Restate run" : "a run") + " returned " + new String(r.body()) + ", expected " + expected);
                }
            }
            case DEVSERVER -> {
                HttpResponse<byte[]> sent = http.send(HttpRequest.newBuilder(URI.create(url + "/e/bench"))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"bench/run\",\"data\":{}}")).build(),
                        HttpResponse.BodyHandlers.ofByteArray());
                check(sent, "sending the event");
                String event = Json.mapper().readTree(sent.body()).path("ids").path(0).asText();
                long deadline = System.nanoTime() + RUN_DEADLINE.toNanos();
                while (true) {
                    HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create(url + "/v1/events/" + event
                            + "/runs/ended?timeout=" + LONG_POLL.toSeconds() + "s")).timeout(LONG_POLL.plusSeconds(30)).build(),
                            HttpResponse.BodyHandlers.ofByteArray());
                    check(r, "waiting for the run's end");
                    JsonNode runs = Json.mapper().readTree(r.body()).path("data");
                    if (runs.size() != 1) {
                        throw new IllegalStateException("event " + event + " started " + runs.size() + " runs, expected 1: is exactly one app synced?");
                    }
                    JsonNode run = runs.get(0);
                    String status = run.path("status").asText();
                    if (status.equals("Completed")) {
                        if (run.path("output").asInt(Integer.MIN_VALUE) != expected) {
                            throw new IllegalStateException("run " + run.path("run_id").asText() + " returned " + run.path("output") + ", expected " + expected);
                        }
                        return;
                    }
                    if (!status.equals("Running")) {
                        throw new IllegalStateException("run " + run.path("run_id").asText() + " ended " + status + ": " + run.path("error"));
                    }
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("run " + run.path("run_id").asText() + " did not end within " + RUN_DEADLINE.toMinutes() + " minutes");
                    }
                }
            }
        }
    }

    private static void check(HttpResponse<byte[]> r, String what) {
        if (r.statusCode() != 200) {
            throw new IllegalStateException(what + " answered " + r.statusCode() + ": " + new String(r.body()).lines().findFirst().orElse(""));
        }
    }
}
