package dev.loomstep;

import static dev.loomstep.Calls.body;
import static dev.loomstep.Calls.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Drive.Mode;
import dev.loomstep.Drive.Outcome;
import dev.loomstep.middleware.Middleware;
import dev.loomstep.middleware.OutputContext;
import dev.loomstep.middleware.RunContext;
import dev.loomstep.middleware.RunHooks;
import dev.loomstep.middleware.StepInfo;
import dev.loomstep.protocol.AsyncCheckpoint;
import dev.loomstep.protocol.CallResult;
import dev.loomstep.protocol.StepIds;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A fan-out's branch steps run side by side inside the request that found them
 * ({@link Checkpointing#parallelSteps()}): one request for the whole fan-out, the results checkpointed
 * in batches, and every semantic of {@code parallel}, {@code parallelSettled} and {@code race} kept. The
 * parameterized tests also run each scenario the classic way and expect the same end.
 */
class FanOutInCallTest {
    final Map<String, AtomicInteger> ran = new ConcurrentHashMap<>();

    int ran(String id) {
        return ran.getOrDefault(id, new AtomicInteger()).get();
    }

    int count(String id) {
        return ran.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
    }

    static Loomstep app(Checkpointing checkpointing, Function<?, ?>... fns) {
        return Loomstep.builder("app").config(Config.from(Map.of("INNGEST_DEV", "1"))).checkpointing(checkpointing).functions(fns).build();
    }

    static Loomstep app(Function<?, ?>... fns) {
        return app(Checkpointing.defaults(), fns);
    }

    /** {@code n} branches, branch i running step "b{i}" that returns i; the run returns the sum. */
    Function<JsonNode, Object> sum(int n) {
        return Function.builder("sum").trigger(Trigger.event("test/event")).handler((input, step) -> {
            var branches = new ArrayList<Callable<Integer>>();
            for (int i = 0; i < n; i++) {
                int at = i;
                branches.add(() -> step.run("b" + at, Integer.class, () -> {
                    count("b" + at);
                    return at;
                }));
            }
            return step.parallel(branches).stream().mapToInt(Integer::intValue).sum();
        });
    }

    static List<String> checkpointedIds(List<AsyncCheckpoint> checkpoints) {
        return checkpoints.stream().flatMap(c -> c.steps().stream()).map(op -> op.id()).toList();
    }

    @Test
    void aThousandWayFanOutRunsInOneRequestEachBranchOnceWithResultsCheckpointedInBatches() {
        int n = 1000;
        Outcome o = Drive.run(app(sum(n)), "app-sum", Mode.CHECKPOINTING, request());
        assertEquals(200, o.status());
        assertEquals(n * (n - 1) / 2, o.result().asInt());
        assertEquals(1, o.requests(), "the whole fan-out is one request");
        for (int i = 0; i < n; i++) {
            assertEquals(1, ran("b" + i), "branch " + i);
        }
        List<String> ids = checkpointedIds(o.checkpoints());
        assertEquals(n, ids.size() + countStepRuns(o.answers()), "each branch step is reported once");
        assertEquals(ids.size(), new HashSet<>(ids).size());
        assertTrue(ids.size() >= n - 16, "all but a run-ahead's worth are checkpointed, the answer stays small: " + ids.size());
        assertTrue(o.checkpoints().size() < n / 2, "results leave in batches, not one checkpoint each: " + o.checkpoints().size());
        o.checkpoints().forEach(c -> assertTrue(c.steps().size() <= 500, "batches of at most 500"));
        o.checkpoints().forEach(c -> c.steps().forEach(op -> assertEquals("StepRun", op.op())));
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void theSameFanOutEndsTheSameInBothModes(Mode mode) {
        Outcome o = Drive.run(app(sum(20)), "app-sum", mode, request());
        assertEquals(200, o.status());
        assertEquals(190, o.result().asInt());
        for (int i = 0; i < 20; i++) {
            assertEquals(1, ran("b" + i));
        }
        // Classic: the fan-out's planned ops, 20 targeted calls, then the end.
        assertEquals(mode == Mode.CLASSIC ? 22 : 1, o.requests());
    }

    @Test
    void branchBodiesRunSideBySide() throws Exception {
        int n = 50;
        var allIn = new CountDownLatch(n);
        var fn = Function.builder("meet").trigger(Trigger.event("test/event")).handler((input, step) -> {
            var branches = new ArrayList<Callable<Boolean>>();
            for (int i = 0; i < n; i++) {
                int at = i;
                branches.add(() -> step.run("m" + at, Boolean.class, () -> {
                    allIn.countDown();
                    // Every body waits for all the others: only bodies running at the same time get past this.
                    return allIn.await(10, TimeUnit.SECONDS);
                }));
            }
            return step.parallel(branches).stream().allMatch(b -> b);
        });
        Outcome o = Drive.run(app(fn), "app-meet", Mode.CHECKPOINTING, request());
        assertEquals(200, o.status());
        assertTrue(o.result().asBoolean(), "every body saw the others running");
    }

    @Test
    void aSlowBranchDoesNotHoldBackTheResultsOfTheQuickOnes() {
        var quickCheckpointed = new CountDownLatch(1);
        var fn = Function.builder("slow").trigger(Trigger.event("test/event")).handler((input, step) -> {
            List<Integer> parts = step.parallel(List.<Callable<Integer>>of(
                    () -> step.run("quick", Integer.class, () -> 1),
                    () -> step.run("slow", Integer.class, () -> quickCheckpointed.await(10, TimeUnit.SECONDS) ? 2 : -100)));
            return parts.get(0) + parts.get(1);
        });
        var api = new Drive.Recorder() {
            @Override
            public void send(AsyncCheckpoint checkpoint) {
                super.send(checkpoint);
                if (checkpoint.steps().stream().anyMatch(op -> op.name().equals("quick"))) {
                    quickCheckpointed.countDown();
                }
            }
        };
        Outcome o = Drive.run(app(fn), "app-slow", Mode.CHECKPOINTING, request(), api);
        assertEquals(3, o.result().asInt(), "quick's result was checkpointed while slow still ran");
        assertEquals(List.of("quick"), o.checkpoints().get(0).steps().stream().map(op -> op.name()).toList());
    }

    @Test
    void atMostParallelStepsBodiesRunAtOnce() {
        var now = new AtomicInteger();
        var most = new AtomicInteger();
        var fn = Function.builder("bounded").trigger(Trigger.event("test/event")).handler((input, step) -> {
            var branches = new ArrayList<Callable<Integer>>();
            for (int i = 0; i < 40; i++) {
                int at = i;
                branches.add(() -> step.run("s" + at, Integer.class, () -> {
                    most.accumulateAndGet(now.incrementAndGet(), Math::max);
                    Thread.sleep(5);
                    now.decrementAndGet();
                    return at;
                }));
            }
            return step.parallel(branches).size();
        });
        Outcome o = Drive.run(app(Checkpointing.builder().parallelSteps(4).build(), fn), "app-bounded", Mode.CHECKPOINTING, request());
        assertEquals(40, o.result().asInt());
        assertEquals(1, o.requests());
        assertTrue(most.get() <= 4, "at most 4 bodies at once, saw " + most.get());
        assertTrue(most.get() >= 2, "bodies did run side by side, saw " + most.get());
    }

    @Test
    void branchesOfSeveralStepsGoOnInTheSameRequest() {
        var fn = Function.builder("chains").trigger(Trigger.event("test/event")).handler((input, step) -> {
            var branches = new ArrayList<Callable<Integer>>();
            for (int i = 0; i < 10; i++) {
                int at = i;
                branches.add(() -> {
                    int a = step.run("a" + at, Integer.class, () -> count("a" + at) * at);
                    int b = step.run("b" + at, Integer.class, () -> count("b" + at) + a);
                    return step.run("c" + at, Integer.class, () -> count("c" + at) + b);
                });
            }
            List<Integer> parts = step.parallel(branches);
            int after = step.run("after", Integer.class, () -> count("after"));
            return parts.stream().mapToInt(Integer::intValue).sum() + after;
        });
        Outcome o = Drive.run(app(fn), "app-chains", Mode.CHECKPOINTING, request());
        assertEquals(200, o.status());
        assertEquals(45 + 10 + 10 + 1, o.result().asInt());
        assertEquals(1, o.requests());
        assertEquals(31, checkpointedIds(o.checkpoints()).size() + countStepRuns(o.answers()));
        for (int i = 0; i < 10; i++) {
            assertEquals(List.of(1, 1, 1), List.of(ran("a" + i), ran("b" + i), ran("c" + i)));
        }
    }

    private static int countStepRuns(List<CallResult> answers) {
        int n = 0;
        for (CallResult r : answers) {
            if (r.status() == 206) {
                for (JsonNode op : body(r)) {
                    if (op.path("op").asText().equals("StepRun")) {
                        n++;
                    }
                }
            }
        }
        return n;
    }

    @Test
    void aFailingBranchStepIsAnsweredAloneAsAStepErrorAfterTheOthersAreCheckpointed() {
        var fn = Function.builder("flaky").trigger(Trigger.event("test/event")).handler((input, step) -> {
            var branches = new ArrayList<Callable<Integer>>();
            for (int i = 0; i < 10; i++) {
                int at = i;
                branches.add(() -> step.run("f" + at, Integer.class, () -> {
                    if (count("f" + at) == 1 && (at == 3 || at == 7)) {
                        throw new IllegalStateException("branch " + at + " not yet");
                    }
                    return at;
                }));
            }
            return step.parallel(branches).stream().mapToInt(Integer::intValue).sum();
        });
        var api = new Drive.Recorder();
        CallResult first = app(fn).call("app-flaky", "step", request().queueItem("qi-1").maxAttempts(4).build(), null, api);
        assertEquals(206, first.status());
        assertEquals(1, body(first).size(), "one op, so the executor retries this call: " + body(first));
        assertEquals("StepError", body(first).get(0).get("op").asText());
        assertEquals(StepIds.sha1Hex("f3"), body(first).get(0).get("id").asText(), "the first failed branch in order");
        assertTrue(first.failure());
        assertFalse(first.noRetry());
        assertEquals(8, checkpointedIds(api.received).size(), "the eight successes were acknowledged before the answer");

        ran.clear();
        Outcome o = Drive.run(app(fn), "app-flaky", Mode.CHECKPOINTING, request().maxAttempts(4));
        assertEquals(200, o.status());
        assertEquals(45, o.result().asInt());
        for (int i = 0; i < 10; i++) {
            assertEquals(i == 3 || i == 7 ? 2 : 1, ran("f" + i), "branch " + i + " ran once, or once more after failing");
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aNonRetriableBranchStepFailsAParallelFastAndIsASettledFailure(Mode mode) {
        var failFast = Function.builder("fast").trigger(Trigger.event("test/event")).handler((input, step) -> {
            var branches = new ArrayList<Callable<Integer>>();
            for (int i = 0; i < 5; i++) {
                int at = i;
                branches.add(() -> step.run("n" + at, Integer.class, () -> {
                    if (at == 2) {
                        throw new NonRetriableException("card declined");
                    }
                    return at;
                }));
            }
            return step.parallel(branches).size();
        });
        Outcome o = Drive.run(app(failFast), "app-fast", mode, request().maxAttempts(3));
        assertEquals(400, o.status());
        assertEquals("card declined", o.result().get("message").asText());

        var settled = Function.builder("settled").trigger(Trigger.event("test/event")).handler((input, step) -> {
            var branches = new ArrayList<Callable<Integer>>();
            for (int i = 0; i < 5; i++) {
                int at = i;
                branches.add(() -> step.run("s" + at, Integer.class, () -> {
                    if (at == 2) {
                        throw new NonRetriableException("card declined");
                    }
                    return at;
                }));
            }
            return step.parallelSettled(branches).stream().map(s -> s instanceof Settled.Value<Integer> v ? "v" + v.value() : "failed").toList();
        });
        Outcome s = Drive.run(app(settled), "app-settled", mode, request().maxAttempts(3));
        assertEquals(200, s.status());
        assertEquals("[\"v0\",\"v1\",\"failed\",\"v3\",\"v4\"]", s.result().toString());
    }

    @Test
    void raceStepsAreNeverRunInTheRequestButPlanned() {
        var fn = Function.builder("race").trigger(Trigger.event("test/event")).handler((input, step) -> step.race(List.<Callable<String>>of(
                () -> step.run("fast", String.class, () -> "fast"),
                () -> step.run("slow", String.class, () -> "slow"))));
        CallResult r = app(fn).call("app-race", "step", request().queueItem("qi-1").build(), null, new Drive.Recorder());
        assertEquals(206, r.status());
        assertEquals(2, body(r).size());
        for (JsonNode op : body(r)) {
            assertEquals("StepPlanned", op.get("op").asText());
            assertEquals("race", op.get("opts").get("parallelMode").asText());
        }
    }

    @Test
    void withParallelStepsZeroOrOnARetryAttemptTheFanOutIsPlannedAsJsDoes() {
        for (Checkpointing c : List.of(Checkpointing.jsDefaults(), Checkpointing.builder().parallelSteps(0).build())) {
            var api = new Drive.Recorder();
            CallResult r = app(c, sum(3)).call("app-sum", "step", request().queueItem("qi-1").build(), null, api);
            assertEquals(List.of("StepPlanned", "StepPlanned", "StepPlanned"), ops(r));
            assertTrue(api.received.isEmpty());
        }
        var api = new Drive.Recorder();
        CallResult retry = app(sum(3)).call("app-sum", "step", request().queueItem("qi-1").attempt(1).build(), null, api);
        assertEquals(List.of("StepPlanned", "StepPlanned", "StepPlanned"), ops(retry), "a retried call answers the classic way");
        assertEquals(0, ran("b0"));
    }

    @Test
    void aBranchThatSleepsIsAnsweredOnceTheOthersRan() {
        var fn = Function.builder("mixed").trigger(Trigger.event("test/event")).handler((input, step) -> {
            List<Integer> parts = step.parallel(List.<Callable<Integer>>of(
                    () -> step.run("x", Integer.class, () -> count("x")),
                    () -> {
                        step.sleep("nap", Duration.ofMinutes(5));
                        return step.run("late", Integer.class, () -> count("late") * 10);
                    },
                    () -> step.run("y", Integer.class, () -> count("y") * 100)));
            return parts.stream().mapToInt(Integer::intValue).sum();
        });
        var api = new Drive.Recorder();
        CallResult r = app(fn).call("app-mixed", "step", request().queueItem("qi-1").build(), null, api);
        assertEquals(List.of("Sleep"), ops(r), "x and y ran, the sleep is the answer");
        assertEquals(java.util.Set.of(StepIds.sha1Hex("x"), StepIds.sha1Hex("y")), java.util.Set.copyOf(checkpointedIds(api.received)),
                "both were acknowledged before the run answered its sleep");
        assertEquals(2, checkpointedIds(api.received).size());
        ran.clear();
        Outcome o = Drive.run(app(fn), "app-mixed", Mode.CHECKPOINTING, request());
        assertEquals(111, o.result().asInt());
        assertEquals(List.of(1, 1, 1), List.of(ran("x"), ran("y"), ran("late")));
    }

    @Test
    void whenACheckpointFailsDuringAFanOutTheUnacknowledgedResultsAreAnsweredTheClassicWay() {
        var sent = new AtomicInteger();
        CallResult r = app(sum(30)).call("app-sum", "step", request().queueItem("qi-1").build(), null, cp -> {
            if (sent.incrementAndGet() == 1) {
                throw new IllegalStateException("executor down");
            }
        });
        assertEquals(206, r.status());
        assertEquals(1, sent.get(), "nothing is sent after a failed checkpoint");
        List<String> answered = ops(r);
        assertEquals(30, answered.stream().filter("StepRun"::equals).count(), "every result, none acknowledged, is in the answer: " + answered);
        assertTrue(answered.stream().allMatch(op -> op.equals("StepRun") || op.equals("RunComplete")), answered.toString());
        for (int i = 0; i < 30; i++) {
            assertEquals(1, ran("b" + i));
        }
    }

    @Test
    void middlewareHooksAreNeverCalledAtTheSameTimeAndStayPaired() {
        var inside = new AtomicInteger();
        var overlaps = new AtomicInteger();
        var befores = new AtomicInteger();
        var afters = new AtomicInteger();
        Middleware mw = new Middleware() {
            @Override
            public RunHooks onRun(RunContext ctx) {
                return new RunHooks() {
                    void enter() {
                        if (inside.incrementAndGet() > 1) {
                            overlaps.incrementAndGet();
                        }
                        Thread.yield();
                        inside.decrementAndGet();
                    }

                    @Override public void beforeExecution(StepInfo s) { enter(); if (s != null) befores.incrementAndGet(); }
                    @Override public void afterExecution(StepInfo s) { enter(); if (s != null) afters.incrementAndGet(); }
                    @Override public void transformOutput(OutputContext out) { enter(); }
                };
            }
        };
        var app = Loomstep.builder("app").config(Config.from(Map.of("INNGEST_DEV", "1"))).middleware(mw).functions(sum(200)).build();
        Outcome o = Drive.run(app, "app-sum", Mode.CHECKPOINTING, request());
        assertEquals(19900, o.result().asInt());
        assertEquals(0, overlaps.get(), "hooks of bodies running side by side were called one at a time");
        assertEquals(200, befores.get());
        assertEquals(200, afters.get());
    }

    private static List<String> ops(CallResult r) {
        var out = new ArrayList<String>();
        body(r).forEach(op -> out.add(op.get("op").asText()));
        return out;
    }
}
