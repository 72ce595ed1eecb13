package dev.loomstep.benchmarks.soak;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Checkpointing;
import dev.loomstep.Event;
import dev.loomstep.Function;
import dev.loomstep.FunctionInput;
import dev.loomstep.Invoke;
import dev.loomstep.Loomstep;
import dev.loomstep.NonRetriableException;
import dev.loomstep.Step;
import dev.loomstep.Trigger;
import dev.loomstep.WaitForEvent;
import dev.loomstep.flow.BatchEvents;
import dev.loomstep.flow.Debounce;
import dev.loomstep.undertow.LoomstepServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * The soak's SDK app, in its own JVM so the driver can SIGKILL it: app {@code soak}, one function per
 * kind of work ({@link Kind}), every step writing its side effect to the {@link Ledger} before it
 * returns. Configured from {@code INNGEST_*} variables like any app (the driver sets
 * {@code INNGEST_DEV} to the devserver, or passes production-like keys); it never syncs itself — the
 * devserver's {@code -u} does, once.
 *
 * <pre>java -cp benchmarks.jar dev.loomstep.benchmarks.soak.SoakApp --port N --ledger FILE [--checkpointing on|off]</pre>
 * Prints {@code soak-app ready <url>} once it serves.
 */
public final class SoakApp {
    static final String APP_ID = "soak";
    static final String READY = "soak-app ready ";
    /** Retries of every function: with the soak's backoff scale (0.2) they span minutes, past the 60 s outage. */
    static final int RETRIES = 8;
    /** The concurrency limit of {@code soak-limited}. */
    static final int CONCURRENCY = 2;

    private final Ledger ledger;

    private SoakApp(Ledger ledger) {
        this.ledger = ledger;
    }

    public static void main(String[] args) throws Exception {
        int port = 0;
        Path ledgerFile = null;
        boolean checkpointing = true;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--port" -> port = Integer.parseInt(args[++i]);
                case "--ledger" -> ledgerFile = Path.of(args[++i]);
                case "--checkpointing" -> checkpointing = switch (args[++i]) {
                    case "on" -> true;
                    case "off" -> false;
                    default -> throw new IllegalArgumentException("--checkpointing on|off, got " + args[i]);
                };
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        if (ledgerFile == null) {
            throw new IllegalArgumentException("--ledger FILE is required");
        }
        var soak = new SoakApp(new Ledger(ledgerFile));
        Loomstep app = Loomstep.builder(APP_ID)
                .checkpointing(checkpointing ? Checkpointing.defaults() : Checkpointing.off())
                .functions(soak.functions()).build();
        LoomstepServer server = LoomstepServer.builder(app).host("127.0.0.1").port(port).start();
        System.out.println(READY + server.url());
        Thread.currentThread().join();
    }

    List<Function<?, ?>> functions() {
        var fns = new ArrayList<Function<?, ?>>();
        fns.add(fn(Kind.SEQ).handler((in, step) -> {
            long n = n(in);
            long a = run(step, in, Kind.SEQ, "s1", 20, () -> n + 1);
            long b = run(step, in, Kind.SEQ, "s2", 60, () -> a * 2);
            long c = run(step, in, Kind.SEQ, "s3", 20, () -> b + 3);
            return out(in, c);
        }));
        fns.add(fn(Kind.SLEEP).handler((in, step) -> {
            long n = n(in);
            long a = run(step, in, Kind.SLEEP, "s1", 20, () -> n * 3);
            step.sleep("nap", Duration.ofSeconds(1 + n % 3));
            long b = run(step, in, Kind.SLEEP, "s2", 20, () -> a + 1);
            return out(in, b);
        }));
        fns.add(fn(Kind.WAIT_MATCHED).handler((in, step) -> {
            long n = n(in);
            boolean reply = in.data().path("reply").asBoolean();
            long a = run(step, in, Kind.WAIT_MATCHED, "s1", 20, () -> n + 5);
            Optional<Event> got = step.waitForEvent("reply", WaitForEvent.of(Kind.WAIT_REPLY_EVENT)
                    .timeout(reply ? Duration.ofMinutes(10) : Duration.ofSeconds(2))
                    .ifExpression("event.data.tag == async.data.tag"));
            long v = got.map(e -> e.data().path("v").asLong()).orElse(-1L);
            long b = run(step, in, Kind.WAIT_MATCHED, "s2", 20, () -> got.isPresent() ? a + v : a * 10);
            return out(in, b);
        }));
        Function<JsonNode, Map<String, Object>> child = fn(Kind.CHILD).handler((in, step) -> {
            long n = n(in);
            return out(in, run(step, in, Kind.CHILD, "double", 20, () -> n * 2));
        });
        fns.add(child);
        fns.add(fn(Kind.INVOKE).handler((in, step) -> {
            JsonNode result = step.invoke("call-child", JsonNode.class, Invoke.function(child)
                    .data(Map.of("tag", tag(in), "n", n(in))));
            long v = result.path("value").asLong();
            return out(in, run(step, in, Kind.INVOKE, "after", 20, () -> v + 1));
        }));
        fns.add(fn(Kind.FANOUT).handler((in, step) -> {
            long n = n(in);
            var branches = new ArrayList<Callable<Long>>();
            for (int i = 0; i < 4; i++) {
                int k = i;
                branches.add(() -> run(step, in, Kind.FANOUT, "b" + k, 40, () -> n + k));
            }
            long sum = step.parallel(branches).stream().mapToLong(Long::longValue).sum();
            return out(in, sum);
        }));
        fns.add(fn(Kind.DEBOUNCE).debounce(new Debounce(Duration.ofSeconds(1), "event.data.tag", null))
                .handler((in, step) -> {
                    long i = in.data().path("i").asLong();
                    long n = n(in);
                    return out(in, run(step, in, Kind.DEBOUNCE, "s1", 20, () -> i * 100 + n));
                }));
        fns.add(fn(Kind.BATCH).batchEvents(new BatchEvents(Kind.BATCH_SIZE, Duration.ofSeconds(2), "event.data.tag", null))
                .handler((in, step) -> {
                    List<JsonNode> batch = in.dataBatch();
                    long sum = run(step, in, Kind.BATCH, "s1", 20,
                            () -> batch.stream().mapToLong(d -> d.path("i").asLong()).sum());
                    var o = out(in, sum);
                    o.put("events", in.events().stream().map(Event::id).toList());
                    return o;
                }));
        fns.add(fn(Kind.IDEMPOTENT).idempotency("event.data.tag").handler((in, step) -> {
            long n = n(in);
            return out(in, run(step, in, Kind.IDEMPOTENT, "s1", 20, () -> n * 5));
        }));
        fns.add(fn(Kind.LIMITED).concurrency(CONCURRENCY).handler((in, step) -> {
            long n = n(in);
            long a = run(step, in, Kind.LIMITED, "s1", 150, () -> n + 40);
            return out(in, run(step, in, Kind.LIMITED, "s2", 20, () -> a + 2));
        }));
        fns.add(fn(Kind.RETRY).handler((in, step) -> {
            long n = n(in);
            // Fails its first attempt only: the devserver must retry the step and memoize the second.
            return out(in, run(step, in, Kind.RETRY, "flaky", 20, () -> {
                if (in.attempt() == 0) {
                    throw new IllegalStateException("flaky: first attempt fails");
                }
                return n * 9;
            }));
        }));
        // Five retries, not the one JS gives a failure handler: the soak takes the app away for longer than the
        // first backoff, and a compensation must outlast that (Function.Builder#onFailure(handler, retries)).
        fns.add(fn(Kind.DOOMED).onFailure((in, step) -> {
            // The failed run's triggering event travels in inngest/function.failed's data.event.
            String tag = in.data().event() == null ? "" : in.data().event().data().path("tag").asText();
            String runId = in.runId();
            run(step, runId, in.attempt(), Kind.ON_FAILURE.function(), "compensate", 20, () -> 1L);
            return Map.of("tag", tag, "value", "compensated", "failed_run", in.data().runId());
        }, 5).handler((in, step) -> {
            run(step, in, Kind.DOOMED, "explode", 20, () -> {
                throw new NonRetriableException("doomed " + tag(in));
            });
            return out(in, 0);
        }));
        return fns;
    }

    private static Function.Builder fn(Kind kind) {
        return Function.builder(kind.id).trigger(Trigger.event(kind.event)).retries(RETRIES);
    }

    private long run(Step step, FunctionInput<JsonNode> in, Kind kind, String id, long workMs, Callable<Long> body) {
        return run(step, in.runId(), in.attempt(), kind.function(), id, workMs, body);
    }

    /** A step whose side effect is its ledger line, written and forced to disk before it returns. */
    private long run(Step step, String runId, int attempt, String function, String id, long workMs, Callable<Long> body) {
        return step.run(id, Long.class, () -> {
            long started = System.currentTimeMillis();
            Thread.sleep(workMs); // the step's work: a window in which a kill lands mid-step
            long v;
            try {
                v = body.call();
            } catch (Exception e) {
                ledger.record(started, runId, function, id, attempt, "error");
                throw e;
            }
            ledger.record(started, runId, function, id, attempt, "ok");
            return v;
        });
    }

    private static long n(FunctionInput<JsonNode> in) {
        return in.data().path("n").asLong();
    }

    private static String tag(FunctionInput<JsonNode> in) {
        return in.data().path("tag").asText();
    }

    private static Map<String, Object> out(FunctionInput<JsonNode> in, long value) {
        var o = new LinkedHashMap<String, Object>();
        o.put("tag", tag(in));
        o.put("value", value);
        return o;
    }
}
