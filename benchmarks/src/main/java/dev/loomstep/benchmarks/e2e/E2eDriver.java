package dev.loomstep.benchmarks.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.protocol.Json;
import java.io.IOException;
import java.net.SocketTimeoutException;
import org.apache.hc.client5.http.classic.methods.HttpGet;
import org.apache.hc.client5.http.classic.methods.HttpPost;
import org.apache.hc.client5.http.classic.methods.HttpUriRequestBase;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.io.entity.ByteArrayEntity;
import org.apache.hc.core5.http.io.entity.EntityUtils;
import org.apache.hc.core5.pool.PoolConcurrencyPolicy;
import org.apache.hc.core5.util.Timeout;
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
 * one pooled HTTP/1.1 client, each starting a run and waiting for its end, then starting the next. The
 * client is Apache HttpClient 5's classic one: a virtual thread writes its request and blocks reading the
 * answer on its own connection, with no thread between. (The JDK's HttpClient, used before, hands every
 * exchange between its selector thread and a worker pool: measured in this driver at 1,000 runs in flight,
 * a third of a core of the two, taken from whichever system was measured, and more from a system that
 * needs two requests a run than from one that needs one.) A
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
 * The workload is the {@code steps}-step sequential function ({@code bench/run}; Restate's
 * {@code StepsService/run}), or with {@code --fanout N} the fan-out function ({@code bench/fanout} with
 * {@code {"n": N}}; Restate's {@code FanOutService/run} with the body {@code N}): {@code N} parallel
 * steps, step {@code i} returning {@code i}.
 * Every run's result must be the sum of its steps' values, or the driver stops with an error.
 * Per round: a warm-up at the round's concurrency ({@code --warmup-runs K}: K runs, all of them ended
 * before measuring; else {@code --warmup-seconds}), then a measured window (seconds, or a fixed number
 * of runs); completed runs/s over the window (with {@code --runs}: measured runs over the time from the
 * first one's start to the last one's end), and p50/p90/p99 of the runs started in it. One TSV line per
 * round is appended to {@code --out}: {@code system concurrency runs_per_s p50_ms p99_ms runs p90_ms width}
 * (width: the fan-out's N, or 0 for the sequential function). With {@code --keep-going} a failed round
 * (a run that failed, returned a wrong sum, or outlived {@code --run-timeout-seconds}) is appended as
 * {@code system concurrency failed REASON - - - width} instead of stopping the driver, which goes on
 * with the next round and exits with status 3 at the end.
 *
 * <pre>java -cp benchmarks.jar dev.loomstep.benchmarks.e2e.E2eDriver --system NAME --target devserver|restate|call URL
 *     [--rounds 1,100,1000] [--seconds 10 | --runs N] [--warmup-seconds 3 | --warmup-runs K] [--steps 10 | --fanout N]
 *     [--prewarm-seconds 0 [--prewarm-concurrency 100]] [--run-timeout-seconds 300] [--keep-going] [--out results.tsv]</pre>
 * {@code --prewarm-seconds S}: before the first round, S seconds of unmeasured runs at
 * {@code --prewarm-concurrency} (100), so that every JVM on the path has compiled its hot path
 * whatever the first round's concurrency.
 */
public final class E2eDriver {
    /** How long one wait for a run's end may take before the driver asks again; a run gets {@link #runDeadline} in all. */
    private static final Duration LONG_POLL = Duration.ofSeconds(60);

    private final CloseableHttpClient http = HttpClients.custom()
            .setConnectionManager(PoolingHttpClientConnectionManagerBuilder.create()
                    .setPoolConcurrencyPolicy(PoolConcurrencyPolicy.LAX)
                    .setMaxConnPerRoute(Integer.MAX_VALUE)
                    .setMaxConnTotal(Integer.MAX_VALUE)
                    .setDefaultConnectionConfig(ConnectionConfig.custom().setConnectTimeout(Timeout.ofSeconds(10)).build())
                    .build())
            .disableAutomaticRetries()
            .disableRedirectHandling()
            .disableCookieManagement()
            .disableContentCompression()
            .disableAuthCaching()
            .disableConnectionState()
            .build();

    /** One exchange's status and body. */
    private record Answer(int status, byte[] body) { }

    /** Sends {@code request}, allowing the answer {@code timeout} to come (a socket read timeout). */
    private Answer send(HttpUriRequestBase request, Duration timeout) throws IOException {
        request.setConfig(RequestConfig.custom().setResponseTimeout(Timeout.of(timeout)).setExpectContinueEnabled(false).build());
        return http.execute(request, response -> new Answer(response.getCode(),
                response.getEntity() == null ? new byte[0] : EntityUtils.toByteArray(response.getEntity())));
    }

    private static HttpPost post(String url, String json) {
        var post = new HttpPost(url);
        if (json != null) {
            post.setEntity(new ByteArrayEntity(json.getBytes(java.nio.charset.StandardCharsets.UTF_8), ContentType.APPLICATION_JSON));
        }
        return post;
    }
    private final Target target;
    private final String url;
    private final long expected;
    /** The fan-out's width, or 0 for the sequential function. */
    private final int fanout;
    private final Duration runDeadline;

    enum Target { DEVSERVER, RESTATE, CALL }

    private E2eDriver(Target target, String url, int steps, int fanout, Duration runDeadline) {
        this.target = target;
        this.url = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
        int n = fanout > 0 ? fanout : steps;
        this.expected = (long) n * (n - 1) / 2;
        this.fanout = fanout;
        this.runDeadline = runDeadline;
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
        int fanout = 0;
        int warmupRuns = 0;
        double prewarm = 0;
        int prewarmConcurrency = 100;
        long runTimeout = 300;
        boolean keepGoing = false;
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
                case "--fanout" -> fanout = Integer.parseInt(args[++i]);
                case "--warmup-runs" -> warmupRuns = Integer.parseInt(args[++i]);
                case "--prewarm-seconds" -> prewarm = Double.parseDouble(args[++i]);
                case "--prewarm-concurrency" -> prewarmConcurrency = Integer.parseInt(args[++i]);
                case "--run-timeout-seconds" -> runTimeout = Long.parseLong(args[++i]);
                case "--keep-going" -> keepGoing = true;
                case "--out" -> out = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        if (system == null || target == null) {
            throw new IllegalArgumentException("--system NAME and --target devserver|restate|call URL are required");
        }
        var driver = new E2eDriver(target, url, steps, fanout, Duration.ofSeconds(runTimeout));
        if (prewarm > 0) {
            // Before the first round, whatever its concurrency: every JVM on the path (the servers', the apps',
            // the driver's) runs enough calls for its JIT to compile the hot path. A round's own warm-up at
            // concurrency 1 is a few hundred runs, far too few for that; this is the same for every system.
            Result w = driver.round(prewarmConcurrency, 0, prewarm, 0);
            System.err.printf(java.util.Locale.ROOT, "e2e-driver: %s pre-warmed: %d runs at %d concurrent in %.0f s%n",
                    system, w.latenciesMs().size(), prewarmConcurrency, prewarm);
        }
        boolean failed = false;
        for (int concurrency : rounds) {
            String line;
            try {
                if (warmupRuns > 0) {
                    driver.round(concurrency, 0, 0, warmupRuns);
                }
                Result r = driver.round(concurrency, warmupRuns > 0 ? 0 : warmup, seconds, runs);
                line = String.format(java.util.Locale.ROOT, "%s\t%d\t%.2f\t%.2f\t%.2f\t%d\t%.2f\t%d%n", system, concurrency,
                        r.runsPerSecond(), r.percentile(50), r.percentile(99), r.latenciesMs().size(), r.percentile(90), fanout);
            } catch (Exception e) {
                if (!keepGoing) {
                    throw e;
                }
                failed = true;
                String reason = reason(e);
                System.err.println("e2e-driver: " + system + " failed at concurrency " + concurrency
                        + (fanout > 0 ? ", fan-out " + fanout : "") + ": " + reason);
                line = String.format(java.util.Locale.ROOT, "%s\t%d\tfailed\t%s\t-\t-\t-\t%d%n", system, concurrency, reason, fanout);
            }
            System.out.print(line);
            if (out != null) {
                Files.writeString(out, line, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            }
        }
        if (failed) {
            System.exit(3);
        }
    }

    /** A failure's cause in one short line, fit for a table cell and a TSV field. */
    static String reason(Throwable e) {
        Throwable t = e instanceof java.util.concurrent.ExecutionException && e.getCause() != null ? e.getCause() : e;
        String m = t.getMessage() == null ? t.getClass().getSimpleName()
                : (t instanceof IllegalStateException ? "" : t.getClass().getSimpleName() + ": ") + t.getMessage();
        m = m.replaceAll("[\\t\\r\\n|]+", " ").strip();
        return m.length() > 160 ? m.substring(0, 157) + "..." : m;
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
        var stop = new java.util.concurrent.atomic.AtomicBoolean();
        try (ExecutorService workers = Executors.newVirtualThreadPerTaskExecutor()) {
            var futures = new ArrayList<Future<?>>();
            for (int w = 0; w < concurrency; w++) {
                futures.add(workers.submit(() -> {
                    while (true) {
                        long start = System.nanoTime();
                        boolean measured = start >= measureFrom;
                        if (stop.get() || start >= windowEnd || (runs > 0 && measured && tickets.getAndDecrement() <= 0)) {
                            return null;
                        }
                        try {
                            runOnce();
                        } catch (Exception | Error e) {
                            stop.set(true); // the other workers start no new run
                            throw e;
                        }
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
                Answer r;
                try {
                    // the width is the handler's input; the sequential handler takes none (and Restate refuses a content type then)
                    r = send(post(url, fanout > 0 ? Integer.toString(fanout) : null), runDeadline);
                } catch (SocketTimeoutException e) {
                    throw new IllegalStateException("a run did not end within " + runDeadline.toSeconds() + " s", e);
                }
                check(r, target == Target.RESTATE ? "the Restate ingress call" : "the call to " + url);
                JsonNode result = Json.mapper().readTree(r.body());
                if (result == null || result.asLong(Long.MIN_VALUE) != expected) {
                    throw new IllegalStateException((target == Target.RESTATE ? "a Restate run" : "a run") + " returned " + new String(r.body()) + ", expected " + expected);
                }
            }
            case DEVSERVER -> {
                Answer sent = send(post(url + "/e/bench", fanout > 0 ? "{\"name\":\"bench/fanout\",\"data\":{\"n\":" + fanout + "}}"
                        : "{\"name\":\"bench/run\",\"data\":{}}"), Duration.ofSeconds(60));
                check(sent, "sending the event");
                String event = Json.mapper().readTree(sent.body()).path("ids").path(0).asText();
                long deadline = System.nanoTime() + runDeadline.toNanos();
                int unanswered = 0;
                while (true) {
                    long left = Math.max(1, (deadline - System.nanoTime()) / 1_000_000_000L);
                    long wait = Math.min(LONG_POLL.toSeconds(), left);
                    Answer r;
                    try {
                        r = send(new HttpGet(url + "/v1/events/" + event + "/runs/ended?timeout=" + wait + "s"), Duration.ofSeconds(wait + 30));
                    } catch (SocketTimeoutException e) {
                        // A devserver busy with a huge run may answer its long poll late: ask again until the run's deadline.
                        unanswered++;
                        if (System.nanoTime() >= deadline) {
                            throw new IllegalStateException("the run of event " + event + " did not end within " + runDeadline.toSeconds()
                                    + " s (the devserver left " + unanswered + " long poll(s) of " + LONG_POLL.toSeconds()
                                    + " s unanswered for 30 s more)", e);
                        }
                        continue;
                    }
                    check(r, "waiting for the run's end");
                    JsonNode runs = Json.mapper().readTree(r.body()).path("data");
                    if (runs.size() != 1) {
                        throw new IllegalStateException("event " + event + " started " + runs.size() + " runs, expected 1: is exactly one app synced?");
                    }
                    JsonNode run = runs.get(0);
                    String status = run.path("status").asText();
                    if (status.equals("Completed")) {
                        if (run.path("output").asLong(Long.MIN_VALUE) != expected) {
                            throw new IllegalStateException("run " + run.path("run_id").asText() + " returned " + run.path("output") + ", expected " + expected);
                        }
                        return;
                    }
                    if (!status.equals("Running")) {
                        throw new IllegalStateException("run " + run.path("run_id").asText() + " ended " + status + ": " + run.path("error"));
                    }
                    if (System.nanoTime() >= deadline) {
                        throw new IllegalStateException("run " + run.path("run_id").asText() + " did not end within " + runDeadline.toSeconds() + " s"
                                + (unanswered == 0 ? "" : " (the devserver left " + unanswered + " long poll(s) unanswered for 30 s past their timeout)"));
                    }
                }
            }
        }
    }

    private static void check(Answer r, String what) {
        if (r.status() != 200) {
            throw new IllegalStateException(what + " answered " + r.status() + ": " + new String(r.body()).lines().findFirst().orElse(""));
        }
    }
}
