package dev.loomstep;

import static dev.loomstep.Calls.body;
import static dev.loomstep.Calls.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
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
import dev.loomstep.protocol.Json;
import dev.loomstep.protocol.RawRequest;
import dev.loomstep.protocol.StaleDispatchException;
import dev.loomstep.protocol.StepIds;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Checkpointing against classic execution. The parameterized tests drive whole runs in both modes and
 * expect the same end, the same step executions and the same middleware and error behaviour; the others
 * pin down what only checkpointing does (what it sends, when it answers, how it falls back).
 */
class CheckpointingTest {
    final Map<String, AtomicInteger> ran = new ConcurrentHashMap<>();

    int ran(String id) {
        return ran.getOrDefault(id, new AtomicInteger()).get();
    }

    int count(String id) {
        return ran.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
    }

    final Function<JsonNode, Object> seq = Function.builder("seq").trigger(Trigger.event("test/event"))
            .handler((input, step) -> {
                int a = step.run("a", Integer.class, () -> count("a"));
                int b = step.run("b", Integer.class, () -> count("b") + 1);
                step.sleep("nap", Duration.ofSeconds(1));
                int c = step.run("c", Integer.class, () -> count("c") + 2);
                return Map.of("sum", a + b + c);
            });

    Loomstep.Builder builder() {
        return Loomstep.builder("app").config(Config.from(Map.of("INNGEST_DEV", "1")));
    }

    /** Whether the app's checkpointing lets a quick run's steps wait for company ({@code linger > 0}). */
    boolean lingers() {
        return true;
    }

    /** Whether the app's checkpointing runs a fan-out's branch steps in the request ({@code parallelSteps > 0}). */
    boolean fanOutsInCall() {
        return true;
    }

    Loomstep app(Function<?, ?>... fns) {
        return builder().functions(fns).build();
    }

    // ---- the same in both modes -------------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aRunEndsWithTheSameResultRunningEachStepOnce(Mode mode) {
        Outcome o = Drive.run(app(seq), "app-seq", mode, request());
        assertEquals(200, o.status());
        assertEquals(6, o.result().get("sum").asInt());
        assertEquals(List.of(1, 1, 1), List.of(ran("a"), ran("b"), ran("c")));
        // Classic: a, b, the sleep, c, the result. Checkpointing: a and b then the sleep; c then the end.
        assertEquals(mode == Mode.CLASSIC ? 5 : 2, o.requests());
        // With a linger, a and b leave together before the sleep; without, a alone and then b.
        assertEquals(mode == Mode.CLASSIC ? 0 : lingers() ? 2 : 3, o.checkpoints().size());
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aStepErrorIsRetriedByTheExecutorAndTheRunGoesOn(Mode mode) {
        var fn = Function.builder("flaky").trigger(Trigger.event("test/event")).handler((input, step) -> {
            int a = step.run("a", Integer.class, () -> count("a"));
            int b = step.run("b", Integer.class, () -> {
                if (count("b") < 3) {
                    throw new IllegalStateException("not yet");
                }
                return 10;
            });
            return a + b;
        });
        Outcome o = Drive.run(app(fn), "app-flaky", mode, request().maxAttempts(4));
        assertEquals(200, o.status());
        assertEquals(11, o.result().asInt());
        assertEquals(1, ran("a"));
        assertEquals(3, ran("b"));
        long errors = o.answers().stream().filter(r -> r.status() == 206 && body(r).get(0).path("op").asText().equals("StepError")).count();
        assertEquals(2, errors, "each failed try is answered as a StepError to retry");
        o.answers().stream().filter(r -> r.status() == 206 && body(r).get(0).path("op").asText().equals("StepError"))
                .forEach(r -> {
                    assertTrue(r.failure());
                    assertFalse(r.noRetry());
                    assertEquals(1, body(r).size(), "a step error ends the request alone: " + body(r));
                });
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aNonRetriableStepErrorIsFinalAndFailsTheRunWithoutRetry(Mode mode) {
        var fn = Function.builder("nope").trigger(Trigger.event("test/event")).handler((input, step) -> {
            step.run("a", Integer.class, () -> count("a"));
            step.run("boom", Integer.class, () -> {
                count("boom");
                throw new NonRetriableException("no way");
            });
            return "unreachable";
        });
        Outcome o = Drive.run(app(fn), "app-nope", mode, request().maxAttempts(3));
        assertEquals(400, o.status());
        assertEquals("NonRetriableError", o.result().get("name").asText());
        assertEquals("no way", o.result().get("message").asText());
        assertEquals(1, ran("boom"));
        assertTrue(o.answers().stream().anyMatch(r -> r.noRetry() && r.status() == 206
                && body(r).get(0).path("op").asText().equals("StepFailed")), "the step's failure is final at once");
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aCaughtStepFailedExceptionLetsTheRunGoOn(Mode mode) {
        var fn = Function.builder("catches").trigger(Trigger.event("test/event")).handler((input, step) -> {
            try {
                step.run("boom", Integer.class, () -> {
                    throw new NonRetriableException("kaput");
                });
                return "not caught";
            } catch (StepFailedException e) {
                return step.run("after", String.class, () -> "recovered from " + e.error().message());
            }
        });
        Outcome o = Drive.run(app(fn), "app-catches", mode, request());
        assertEquals(200, o.status());
        assertEquals("recovered from kaput", o.result().asText());
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aRetryAfterInAStepAnswersTheStepErrorWithRetryAfter(Mode mode) {
        var fn = Function.builder("later").trigger(Trigger.event("test/event")).handler((input, step) -> {
            step.run("a", Integer.class, () -> count("a"));
            return step.run("b", Integer.class, () -> {
                throw new RetryAfterException("busy", Duration.ofSeconds(30));
            });
        });
        Loomstep app = app(fn);
        Calls call = request();
        if (mode == Mode.CLASSIC) {
            call.memo("a", 1); // checkpointing runs a and b in one request; classic needs a memoized first
        }
        CallResult r = app.call("app-later", "step", (mode == Mode.CHECKPOINTING ? call.queueItem("q") : call).build(), null,
                mode == Mode.CHECKPOINTING ? new Drive.Recorder() : null);
        assertEquals(206, r.status());
        assertEquals("StepError", body(r).get(0).get("op").asText());
        assertEquals("RetryAfterError", body(r).get(0).get("error").get("name").asText());
        assertEquals("30", r.retryAfter());
        assertFalse(r.noRetry());
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aFunctionErrorAfterStepsAnswersTheSameError(Mode mode) {
        var fn = Function.builder("fails").trigger(Trigger.event("test/event")).handler((input, step) -> {
            step.run("a", Integer.class, () -> count("a"));
            throw new IllegalStateException("broken after a");
        });
        Outcome o = Drive.run(app(fn), "app-fails", mode, request());
        assertEquals(500, o.status());
        assertEquals("broken after a", o.result().get("message").asText());
        assertEquals(1, ran("a"));
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void theOnFailureHandlerRunsItsStepsTheSameWay(Mode mode) {
        var fn = Function.builder("flow").trigger(Trigger.event("test/event"))
                .onFailure((input, step) -> step.run("cleanup", String.class, () -> "cleaned " + input.data().functionId())
                        + step.run("notify", String.class, () -> "+notified"))
                .handler((input, step) -> "never failing here");
        var failed = Map.of("function_id", "app-flow", "run_id", "01X", "error", Map.of("name", "Error", "message", "it broke"),
                "event", Map.of("name", "test/event", "data", Map.of()));
        Calls call = request().data(failed);
        Outcome o = Drive.run(app(fn), "app-flow-failure", mode, call);
        assertEquals(200, o.status());
        assertEquals("cleaned app-flow+notified", o.result().asText());
        if (mode == Mode.CLASSIC) {
            assertEquals(0, o.checkpoints().size());
        } else {
            // Checkpointed, or (running ahead of a checkpoint in flight) in the answer: each step once either way.
            assertTrue(o.checkpoints().size() >= 1);
            assertEquals(List.of("cleanup", "notify"), reportedSteps(o));
        }
    }

    /** The names of the steps a run reported: those checkpointed, then the {@code StepRun} ops of its answers. */
    static List<String> reportedSteps(Outcome o) {
        var names = new java.util.ArrayList<String>();
        o.checkpoints().forEach(cp -> cp.steps().forEach(op -> names.add(op.name())));
        for (CallResult r : o.answers()) {
            JsonNode ops = body(r);
            if (ops.isArray()) {
                ops.forEach(op -> {
                    if (op.path("op").asText().equals("StepRun")) {
                        names.add(op.path("name").asText());
                    }
                });
            }
        }
        return names;
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aStepResultSealedOnTheWayOutIsUnsealedBeforeTheFunctionReadsItRunInPlaceOrReplayed(Mode mode) {
        var unsealed = new CopyOnWriteArrayList<String>();
        Middleware sealing = new Middleware() {
            @Override
            public RunHooks onRun(RunContext run) {
                return new RunHooks() {
                    public void transformOutput(OutputContext out) {
                        if (out.step() != null && out.result() != null) {
                            out.result(Json.nodes().objectNode().set("sealed", out.result()));
                        }
                    }

                    public JsonNode transformStepResult(String stepId, JsonNode result) {
                        unsealed.add(stepId);
                        return result.has("sealed") ? result.get("sealed") : result;
                    }
                };
            }
        };
        Outcome o = Drive.run(builder().middleware(sealing).functions(seq).build(), "app-seq", mode, request());
        assertEquals(1 + 2 + 3, o.result().get("sum").asInt(), "the function reads each step's unsealed result: " + o.result());
        assertTrue(unsealed.containsAll(List.of("a", "b", "c")), unsealed.toString());
        if (mode == Mode.CHECKPOINTING) {
            assertEquals(3, o.checkpoints().getLast().steps().getLast().data().get("sealed").asInt(), "the checkpoint carries the sealed result");
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void middlewareSeesEveryStepExecutedOnceAndMayRewriteItsResult(Mode mode) {
        var hooks = new CopyOnWriteArrayList<String>();
        Middleware doubling = new Middleware() {
            @Override
            public RunHooks onRun(RunContext run) {
                return new RunHooks() {
                    public void beforeExecution(StepInfo s) { hooks.add("before:" + (s == null ? "fn" : s.id())); }
                    public void afterExecution(StepInfo s) { hooks.add("after:" + (s == null ? "fn" : s.id())); }
                    public void transformOutput(OutputContext out) {
                        hooks.add("output:" + (out.step() == null ? "fn" : out.step().id()));
                        if (out.step() != null && out.result() != null && out.result().isInt()) {
                            out.result(Json.nodes().numberNode(out.result().asInt() * 10));
                        }
                    }
                };
            }
        };
        Outcome o = Drive.run(builder().middleware(doubling).functions(seq).build(), "app-seq", mode, request());
        assertEquals(10 + 20 + 30, o.result().get("sum").asInt(), "the function sees each step's rewritten result");
        for (String step : List.of("a", "b", "c")) {
            assertEquals(1, hooks.stream().filter(h -> h.equals("before:" + step)).count(), hooks.toString());
            assertEquals(1, hooks.stream().filter(h -> h.equals("after:" + step)).count(), hooks.toString());
            assertEquals(1, hooks.stream().filter(h -> h.equals("output:" + step)).count(), hooks.toString());
            int before = hooks.indexOf("before:" + step);
            assertEquals(List.of("before:" + step, "after:" + step, "output:" + step), hooks.subList(before, before + 3));
        }
        // Function code is announced around each stretch it runs, in both modes: pairs never overlap.
        int open = 0;
        for (String h : hooks) {
            if (h.equals("before:fn")) open++;
            if (h.equals("after:fn")) open--;
            assertTrue(open == 0 || open == 1, hooks.toString());
        }
        assertEquals(0, open, hooks.toString());
        if (mode == Mode.CHECKPOINTING) {
            assertEquals(30, o.checkpoints().getLast().steps().getLast().data().asInt(), "the checkpoint carries the rewritten result");
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aParallelFanOutBetweenSequentialStepsRunsEachBranchOnceAndEndsTheSame(Mode mode) {
        var fn = Function.builder("fan").trigger(Trigger.event("test/event")).handler((input, step) -> {
            int a = step.run("a", Integer.class, () -> count("a"));
            List<Integer> parts = step.parallel(List.<java.util.concurrent.Callable<Integer>>of(
                    () -> step.run("x", Integer.class, () -> count("x") * 10),
                    () -> step.run("y", Integer.class, () -> count("y") * 100)));
            int c = step.run("c", Integer.class, () -> count("c") * 1000);
            return a + parts.get(0) + parts.get(1) + c;
        });
        Outcome o = Drive.run(app(fn), "app-fan", mode, request());
        assertEquals(200, o.status());
        assertEquals(1111, o.result().asInt());
        assertEquals(List.of(1, 1, 1, 1), List.of(ran("a"), ran("x"), ran("y"), ran("c")));
        var checkpointed = o.checkpoints().stream().flatMap(c -> c.steps().stream()).map(op -> op.id()).toList();
        if (mode == Mode.CHECKPOINTING && !fanOutsInCall()) {
            // The sequential steps are checkpointed; the branches are answered by their targeted calls.
            assertEquals(List.of(StepIds.sha1Hex("a"), StepIds.sha1Hex("c")), checkpointed);
        } else if (mode == Mode.CHECKPOINTING) {
            // Every step runs in the first request, the branches side by side: checkpointed, or in the answer.
            var reported = new java.util.ArrayList<>(checkpointed);
            body(o.answers().get(0)).forEach(op -> {
                if (op.path("op").asText().equals("StepRun")) {
                    reported.add(op.get("id").asText());
                }
            });
            assertEquals(java.util.Set.of(StepIds.sha1Hex("a"), StepIds.sha1Hex("x"), StepIds.sha1Hex("y"), StepIds.sha1Hex("c")),
                    java.util.Set.copyOf(reported));
            assertEquals(4, reported.size());
            assertEquals(1, o.requests());
        } else {
            assertTrue(checkpointed.isEmpty());
        }
    }

    // ---- what only checkpointing does ------------------------------------------------------------

    Calls checkpointable() {
        return request().queueItem("qi-1");
    }

    RawRequest dispatchHeaders() {
        return new RawRequest("POST", "http://app/api/inngest", Map.of("X-Request-Id", List.of("req-7"),
                "X-Inngest-Generation-Id", List.of("3")), new byte[0]);
    }

    @Test
    void eachExecutedStepIsCheckpointedWithTheDispatchIdsBeforeTheRunAnswersAtItsSleep() {
        var api = new Drive.Recorder();
        CallResult r = app(seq).call("app-seq", "step", checkpointable().build(), dispatchHeaders(), api);
        assertEquals(206, r.status());
        assertEquals("Sleep", body(r).get(0).get("op").asText());
        assertEquals(1, body(r).size());
        // With a linger a and b, both quick, leave together when the run reaches its sleep; without, a
        // leaves alone as soon as it ran and b once a is acknowledged.
        assertEquals(lingers() ? 1 : 2, api.received.size());
        AsyncCheckpoint first = api.received.get(0);
        assertEquals("01RUN", first.runId());
        assertEquals("fn-uuid", first.fnId());
        assertEquals("qi-1", first.qiId());
        assertEquals("req-7", first.requestId());
        assertEquals(3, first.generationId());
        assertEquals(first.requestStartedAt(), api.received.getLast().requestStartedAt());
        assertTrue(first.ts() >= first.requestStartedAt());
        assertEquals(StepIds.sha1Hex("a"), first.steps().get(0).id());
        assertEquals("StepRun", first.steps().get(0).op());
        assertEquals(1, first.steps().get(0).data().asInt());
        assertEquals("b", api.received.getLast().steps().getLast().name());
        assertEquals("/v1/checkpoint/01RUN/async", first.path());
        JsonNode wire = Json.toTree(first);
        assertEquals(List.of("run_id", "fn_id", "qi_id", "request_id", "generation_id", "request_started_at", "steps", "ts"),
                iterable(wire.fieldNames()));
    }

    @Test
    void theEndOfARunIsAnsweredAsRunCompleteAfterTheLastCheckpoint() {
        var api = new Drive.Recorder();
        Calls call = checkpointable().memo("a", 1).memo("b", 2).raw(StepIds.sha1Hex("nap"), null);
        CallResult r = app(seq).call("app-seq", "step", call.build(), null, api);
        assertEquals(206, r.status());
        JsonNode done = body(r).get(0);
        assertEquals(1, body(r).size());
        assertEquals("RunComplete", done.get("op").asText());
        assertEquals(StepIds.sha1Hex("complete"), done.get("id").asText());
        assertEquals(6, done.get("data").get("sum").asInt());
        assertEquals(1, api.received.size(), "c was checkpointed before the answer");
    }

    @Test
    void bufferedStepsAreSentTogetherAndTheRestInALastCheckpointBeforeRunCompleteAlone() {
        var five = Function.builder("five").trigger(Trigger.event("test/event"))
                .checkpointing(Checkpointing.builder().bufferedSteps(2).runAhead(0).build())
                .handler((input, step) -> {
                    int sum = 0;
                    for (int i = 0; i < 5; i++) {
                        int n = i;
                        sum += step.run("s" + i, Integer.class, () -> n);
                    }
                    return sum;
                });
        var api = new Drive.Recorder();
        CallResult r = app(five).call("app-five", "step", checkpointable().build(), null, api);
        assertEquals(List.of(2, 2, 1), api.received.stream().map(c -> c.steps().size()).toList());
        assertEquals("s4", api.received.get(2).steps().get(0).name());
        JsonNode ops = body(r);
        assertEquals(1, ops.size(), "RunComplete alone: Inngest reads more ops as a parallel plan: " + ops);
        assertEquals("RunComplete", ops.get(0).get("op").asText());
        assertEquals(10, ops.get(0).get("data").asInt());
    }

    @Test
    void afterMaxRuntimeTheNextStepIsHandedBackPlannedAndTheRunReentersOnANewRequest() {
        var slow = Function.builder("slow").trigger(Trigger.event("test/event"))
                .checkpointing(Checkpointing.builder().maxRuntime(Duration.ofMillis(50)).build())
                .handler((input, step) -> {
                    step.run("a", Integer.class, () -> {
                        Thread.sleep(80);
                        return count("a");
                    });
                    return step.run("b", Integer.class, () -> count("b"));
                });
        var api = new Drive.Recorder();
        CallResult r = app(slow).call("app-slow", "step", checkpointable().build(), null, api);
        assertEquals(206, r.status());
        assertEquals("StepPlanned", body(r).get(0).get("op").asText());
        assertEquals(StepIds.sha1Hex("b"), body(r).get(0).get("id").asText());
        assertEquals(1, api.received.size(), "a was checkpointed before the run handed b back");
        assertEquals(0, ran("b"));
        Outcome o = Drive.run(app(slow), "app-slow", Mode.CHECKPOINTING, checkpointable().memo("a", 1));
        assertEquals(200, o.status());
        assertEquals(1, o.result().asInt());
    }

    @Test
    void theNextStepRunsWhileACheckpointIsInFlightButTheAnswerWaitsForItsAcknowledgement() throws Exception {
        var release = new CountDownLatch(1);
        var bRan = new CountDownLatch(1);
        var acked = new AtomicInteger();
        var app = app(Function.builder("two").trigger(Trigger.event("test/event"))
                .checkpointing(Checkpointing.builder().linger(Duration.ZERO).build()).handler((input, step) -> {
            step.run("a", Integer.class, () -> 1);
            step.run("b", Integer.class, () -> {
                bRan.countDown();
                return 2;
            });
            step.sleep("nap", Duration.ofHours(1));
            return 0;
        }));
        var answer = new java.util.concurrent.CompletableFuture<CallResult>();
        Thread.ofVirtual().start(() -> answer.complete(app.call("app-two", "step", checkpointable().build(), null, cp -> {
            if (cp.steps().get(0).name().equals("a")) {
                try {
                    release.await();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }
            acked.incrementAndGet();
        })));
        assertTrue(bRan.await(10, TimeUnit.SECONDS), "b runs while a's checkpoint is unacknowledged");
        assertFalse(answer.isDone(), "no answer before a's checkpoint is acknowledged");
        assertEquals(0, acked.get());
        release.countDown();
        CallResult r = answer.get(10, TimeUnit.SECONDS);
        assertEquals("Sleep", body(r).get(0).get("op").asText());
        assertEquals(2, acked.get());
    }

    @Test
    void withRunAheadTheRunKeepsExecutingWhileACheckpointIsInFlightAndSendsTheRestTogetherBeforeItsEnd() throws Exception {
        runsAheadOfAHeldCheckpoint(Function.builder("ahead").trigger(Trigger.event("test/event"))
                .checkpointing(Checkpointing.builder().runAhead(8).linger(Duration.ZERO).build()), builder(), 0);
    }

    @Test
    void byDefaultTheRunKeepsExecutingWhileACheckpointIsInFlight() throws Exception {
        // Loomstep's default, not the JS SDK's: neither the function nor the app sets checkpointing. s1 takes
        // longer than the default linger, so s0 leaves alone when its linger is over, while s1 still runs.
        runsAheadOfAHeldCheckpoint(Function.builder("ahead").trigger(Trigger.event("test/event")),
                Loomstep.builder("app").config(Config.from(Map.of("INNGEST_DEV", "1"))),
                Checkpointing.defaults().linger().toMillis() * 3);
    }

    private void runsAheadOfAHeldCheckpoint(Function.Builder builder, Loomstep.Builder appBuilder, long s1Millis) throws Exception {
        var release = new CountDownLatch(1);
        var lastRan = new CountDownLatch(1);
        var received = new CopyOnWriteArrayList<List<String>>();
        var fn = builder
                .handler((input, step) -> {
                    int sum = 0;
                    for (int i = 0; i < 4; i++) {
                        int n = i;
                        sum += step.run("s" + i, Integer.class, () -> {
                            if (n == 1) {
                                Thread.sleep(s1Millis);
                            }
                            return n;
                        });
                    }
                    lastRan.countDown();
                    return sum;
                });
        var answer = new java.util.concurrent.CompletableFuture<CallResult>();
        Loomstep app = appBuilder.functions(fn).build();
        Thread.ofVirtual().start(() -> answer.complete(app.call("app-ahead", "step", checkpointable().build(), null, cp -> {
            received.add(cp.steps().stream().map(op -> op.name()).toList());
            try {
                release.await();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        })));
        assertTrue(lastRan.await(10, TimeUnit.SECONDS), "every step ran while s0's checkpoint was unacknowledged");
        assertFalse(answer.isDone(), "no answer before s0's checkpoint is acknowledged");
        release.countDown();
        CallResult r = answer.get(10, TimeUnit.SECONDS);
        assertEquals(List.of(List.of("s0"), List.of("s1", "s2", "s3")), received,
                "the steps that ran meanwhile left together, not one checkpoint each");
        JsonNode ops = body(r);
        assertEquals(1, ops.size(), ops.toString());
        assertEquals("RunComplete", ops.get(0).get("op").asText());
        assertEquals(6, ops.get(0).get("data").asInt());
    }

    @Test
    void aQuickRunsStepsLeaveInOneCheckpointAndItsAnswerDoesNotWaitForTheLinger() throws Exception {
        var received = new CopyOnWriteArrayList<List<String>>();
        var fn = Function.builder("quick").trigger(Trigger.event("test/event"))
                .checkpointing(Checkpointing.builder().linger(Duration.ofHours(1)).build())
                .handler((input, step) -> {
                    int sum = 0;
                    for (int i = 0; i < 5; i++) {
                        int n = i;
                        sum += step.run("s" + i, Integer.class, () -> n);
                    }
                    return sum;
                });
        var answer = new java.util.concurrent.CompletableFuture<CallResult>();
        Thread.ofVirtual().start(() -> answer.complete(app(fn).call("app-quick", "step", checkpointable().build(), null,
                cp -> received.add(cp.steps().stream().map(op -> op.name()).toList()))));
        CallResult r = answer.get(30, TimeUnit.SECONDS); // an hour's linger would never end in time
        assertEquals(List.of(List.of("s0", "s1", "s2", "s3", "s4")), received, "one checkpoint for the whole run");
        assertEquals(1, body(r).size());
        assertEquals("RunComplete", body(r).get(0).get("op").asText());
        assertEquals(10, body(r).get(0).get("data").asInt());
    }

    @Test
    void aStepLeftWaitingLeavesWhenItsLingerIsOverWhileLongStepsRun() throws Exception {
        var received = new CopyOnWriteArrayList<List<String>>();
        var firstReceived = new CountDownLatch(1);
        var secondReceived = new CountDownLatch(1);
        var ackFirst = new CountDownLatch(1);
        var sawFirst = new java.util.concurrent.atomic.AtomicBoolean();
        var sawSecond = new java.util.concurrent.atomic.AtomicBoolean();
        var fn = Function.builder("long").trigger(Trigger.event("test/event"))
                .checkpointing(Checkpointing.builder().linger(Duration.ofMillis(30)).build())
                .handler((input, step) -> {
                    step.run("s0", Integer.class, () -> 0);
                    // s0 waits for company; none comes while s1 runs, so its linger's timer sends it.
                    step.run("s1", Integer.class, () -> {
                        sawFirst.set(firstReceived.await(10, TimeUnit.SECONDS));
                        return 1;
                    });
                    // s1 waited behind s0's checkpoint; it leaves once that is acknowledged, while s2 runs.
                    step.run("s2", Integer.class, () -> {
                        ackFirst.countDown();
                        sawSecond.set(secondReceived.await(10, TimeUnit.SECONDS));
                        return 2;
                    });
                    return 3;
                });
        var answer = new java.util.concurrent.CompletableFuture<CallResult>();
        Thread.ofVirtual().start(() -> answer.complete(app(fn).call("app-long", "step", checkpointable().build(), null, cp -> {
            received.add(cp.steps().stream().map(op -> op.name()).toList());
            if (received.size() == 1) {
                firstReceived.countDown();
                try {
                    ackFirst.await();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            } else {
                secondReceived.countDown();
            }
        })));
        CallResult r = answer.get(30, TimeUnit.SECONDS);
        assertTrue(sawFirst.get(), "s0 was checkpointed while s1 ran");
        assertTrue(sawSecond.get(), "s1 was checkpointed while s2 ran");
        assertEquals(List.of(List.of("s0"), List.of("s1"), List.of("s2")), received);
        assertEquals("RunComplete", body(r).get(0).get("op").asText());
    }

    @Test
    void withRunAheadTheRunWaitsOnceThatManyStepsWaitAndThenSendsThemTogether() throws Exception {
        var release = new CountDownLatch(1);
        var received = new CopyOnWriteArrayList<List<String>>();
        var fn = Function.builder("ahead2").trigger(Trigger.event("test/event"))
                .checkpointing(Checkpointing.builder().runAhead(2).linger(Duration.ZERO).build())
                .handler((input, step) -> {
                    for (int i = 0; i < 5; i++) {
                        int n = i;
                        step.run("s" + i, Integer.class, () -> count("s" + n));
                    }
                    step.sleep("nap", Duration.ofHours(1));
                    return 0;
                });
        var answer = new java.util.concurrent.CompletableFuture<CallResult>();
        Thread.ofVirtual().start(() -> answer.complete(app(fn).call("app-ahead2", "step", checkpointable().build(), null, cp -> {
            received.add(cp.steps().stream().map(op -> op.name()).toList());
            if (received.size() == 1) {
                try {
                    release.await();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }
        })));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (ran("s3") == 0 && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertEquals(1, ran("s3"), "s1 to s3 ran while s0 was in flight");
        // s3 made three steps wait (more than runAhead 2): the run waits for s0 before going on to s4.
        assertEquals(0, ran("s4"));
        release.countDown();
        CallResult r = answer.get(10, TimeUnit.SECONDS);
        assertEquals("Sleep", body(r).get(0).get("op").asText());
        assertEquals(List.of("s0"), received.get(0));
        assertEquals(List.of("s1", "s2", "s3"), received.get(1), "the waiting steps leave together");
        assertEquals(List.of("s0", "s1", "s2", "s3", "s4"), received.stream().flatMap(List::stream).toList(),
                "every step is reported once, in order, before the run sleeps");
    }

    @Test
    void whenACheckpointFailsTheUnacknowledgedStepsAreAnsweredTheClassicWay() {
        var sent = new AtomicInteger();
        CallResult r = app(seq).call("app-seq", "step", checkpointable().build(), null, cp -> {
            if (sent.incrementAndGet() == 1) {
                throw new IllegalStateException("executor down");
            }
        });
        assertEquals(206, r.status());
        JsonNode ops = body(r);
        assertEquals("StepRun", ops.get(0).get("op").asText());
        assertEquals("a", ops.get(0).get("name").asText());
        assertTrue(ops.size() <= 2, "a, and b when it ran before the failure was known: " + ops);
        assertEquals(1, sent.get(), "nothing is sent after a failed checkpoint");
        assertFalse(r.failure());
        // The executor memoizes them and calls again: the run still ends the same.
        ran.clear();
        Outcome o = Drive.run(app(seq), "app-seq", Mode.CHECKPOINTING, request());
        assertEquals(6, o.result().get("sum").asInt());
    }

    @Test
    void aStaleDispatchStopsTheRequestWithoutReportingItsSteps() {
        CallResult r = app(seq).call("app-seq", "step", checkpointable().build(), null, cp -> {
            throw new StaleDispatchException("Stale dispatch: checkpoint returned 409 (run 01RUN)");
        });
        assertEquals(400, r.status());
        assertTrue(r.noRetry());
        assertEquals("StaleDispatchError", body(r).get("name").asText());
        assertEquals("Stale dispatch: checkpoint returned 409 (run 01RUN)", body(r).get("message").asText());
        assertTrue(ran("c") == 0);
    }

    @Test
    void noCheckpointWithoutAQueueItemIdForATargetedStepWhenOffOrWithImmediateExecutionDisabled() {
        var api = new Drive.Recorder();
        assertEquals("StepRun", body(app(seq).call("app-seq", "step", request().build(), null, api)).get(0).get("op").asText());
        app(seq).call("app-seq", StepIds.sha1Hex("a"), checkpointable().build(), null, api);
        app(seq).call("app-seq", "step", checkpointable().disableImmediateExecution().build(), null, api);
        builder().checkpointing(Checkpointing.off()).functions(seq).build().call("app-seq", "step", checkpointable().build(), null, api);
        var offHere = Function.builder("off").trigger(Trigger.event("test/event")).checkpointing(Checkpointing.off())
                .handler((input, step) -> step.run("a", Integer.class, () -> 1));
        CallResult r = app(offHere).call("app-off", "step", checkpointable().build(), null, api);
        assertEquals("StepRun", body(r).get(0).get("op").asText());
        assertTrue(api.received.isEmpty(), "no checkpoint: " + api.received);
    }

    @Test
    void aFunctionsSettingReplacesTheAppsAndDefaultsMatchTheJsSdkButRunAhead() {
        assertTrue(Checkpointing.defaults().enabled());
        assertEquals(1, Checkpointing.defaults().bufferedSteps());
        assertEquals(Duration.ZERO, Checkpointing.defaults().maxInterval());
        assertEquals(Duration.ofSeconds(10), Checkpointing.defaults().maxRuntime());
        assertEquals(16, Checkpointing.defaults().runAhead(), "the run goes on while a checkpoint is in flight");
        assertEquals(0, Checkpointing.jsDefaults().runAhead(), "JS's: the run waits for a checkpoint in flight when the next is due");
        assertEquals(Checkpointing.defaults().maxRuntime(), Checkpointing.jsDefaults().maxRuntime());
        assertEquals(1, Checkpointing.jsDefaults().bufferedSteps());
        assertFalse(Checkpointing.off().enabled());
        assertTrue(app(seq).checkpointing().enabled());
        var api = new Drive.Recorder();
        var on = Function.builder("on").trigger(Trigger.event("test/event")).checkpointing(Checkpointing.defaults())
                .handler((input, step) -> step.run("a", Integer.class, () -> 1));
        CallResult r = builder().checkpointing(Checkpointing.off()).functions(on).build()
                .call("app-on", "step", checkpointable().build(), null, api);
        assertEquals("RunComplete", body(r).get(0).get("op").asText());
        assertEquals(1, api.received.size());
        assertThrows(IllegalArgumentException.class, () -> Checkpointing.builder().bufferedSteps(0));
        assertThrows(IllegalArgumentException.class, () -> Checkpointing.builder().maxRuntime(Duration.ofSeconds(-1)));
        assertNull(Function.builder("x").trigger(Trigger.event("e")).handler((i, s) -> 1).options().checkpointing());
    }

    private static List<String> iterable(java.util.Iterator<String> it) {
        var out = new java.util.ArrayList<String>();
        it.forEachRemaining(out::add);
        return out;
    }
}
