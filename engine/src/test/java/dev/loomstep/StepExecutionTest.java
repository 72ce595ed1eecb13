package dev.loomstep;

import static dev.loomstep.Calls.body;
import static dev.loomstep.Calls.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.protocol.CallRequest;
import dev.loomstep.protocol.CallResult;
import dev.loomstep.protocol.Json;
import dev.loomstep.protocol.StepIds;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class StepExecutionTest {
    final ConcurrentHashMap<String, AtomicInteger> ran = new ConcurrentHashMap<>();

    int ran(String id) {
        return ran.getOrDefault(id, new AtomicInteger()).get();
    }

    <T> Callable<T> counting(String id, T value) {
        return () -> {
            ran.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
            return value;
        };
    }

    final Function<JsonNode, Object> seq = Function.builder("seq").trigger(Trigger.event("test/event"))
            .handler((input, step) -> {
                int a = step.run("a", Integer.class, counting("a", 1));
                int b = step.run("b", Integer.class, counting("b", 2));
                step.sleep("nap", Duration.ofSeconds(1));
                int again = step.run("a", Integer.class, counting("a:1", 3));
                return List.of(a, b, again);
            });

    final Function<JsonNode, Integer> fanout = Function.builder("fanout").trigger(Trigger.event("test/event"))
            .handler((input, step) -> step.<Integer>parallel(List.<Callable<Integer>>of(
                    () -> step.run("p1", Integer.class, counting("p1", 1)),
                    () -> step.run("p2", Integer.class, counting("p2", 2)),
                    () -> step.run("p3", Integer.class, counting("p3", 3))))
                    .stream().mapToInt(Integer::intValue).sum());

    Loomstep app(Function<?, ?>... fns) {
        return Loomstep.builder("app").config(Config.from(java.util.Map.of("INNGEST_DEV", "1"))).functions(fns).build();
    }

    CallResult call(Loomstep app, String fn, String stepId, Calls c) {
        return app.call("app-" + fn, stepId, c.build(), null);
    }

    @Test
    void runsTheFirstNewStepImmediatelyAndReportsItsData() {
        CallResult r = call(app(seq), "seq", "step", request());
        assertEquals(206, r.status());
        JsonNode op = body(r).get(0);
        assertEquals(1, body(r).size());
        assertEquals("StepRun", op.get("op").asText());
        assertEquals(StepIds.sha1Hex("a"), op.get("id").asText());
        assertEquals("a", op.get("name").asText());
        assertEquals("a", op.get("displayName").asText());
        assertEquals(1, op.get("data").asInt());
        assertEquals(1, ran("a"));
        assertEquals(0, ran("b"));
    }

    @Test
    void replaysMemoizedStepsWithoutRunningThem() {
        CallResult r = call(app(seq), "seq", "step", request().memo("a", 1));
        JsonNode op = body(r).get(0);
        assertEquals(StepIds.sha1Hex("b"), op.get("id").asText());
        assertEquals(2, op.get("data").asInt());
        assertEquals(0, ran("a"));
        assertEquals(1, ran("b"));
    }

    @Test
    void reportsASleepWithItsDurationInNameAndOpts() {
        CallResult r = call(app(seq), "seq", "step", request().memo("a", 1).memo("b", 2));
        JsonNode op = body(r).get(0);
        assertEquals("Sleep", op.get("op").asText());
        assertEquals(StepIds.sha1Hex("nap"), op.get("id").asText());
        assertEquals("1s", op.get("name").asText());
        assertEquals("nap", op.get("displayName").asText());
        assertEquals("1s", op.get("opts").get("duration").asText());
        assertEquals(0, ran("a") + ran("b"));
    }

    @Test
    void hashesTheRepeatOfAStepIdWithItsIndex() {
        CallResult r = call(app(seq), "seq", "step", request().memo("a", 1).memo("b", 2).raw(StepIds.sha1Hex("nap"), null));
        JsonNode op = body(r).get(0);
        assertEquals("de89bfaf06245091a7873290a793604612302247", op.get("id").asText());
        assertEquals("a", op.get("name").asText());
        assertEquals(3, op.get("data").asInt());
        assertEquals(1, ran("a:1"));
        assertEquals(0, ran("a"));
    }

    @Test
    void answers200WithTheResultWhenEveryStepIsMemoized() {
        CallResult r = call(app(seq), "seq", "step",
                request().memo("a", 1).memo("b", 2).raw(StepIds.sha1Hex("nap"), null).memo("a", 1, 3));
        assertEquals(200, r.status());
        assertEquals("[1,2,3]", body(r).toString());
        assertEquals(0, ran.size());
    }

    @Test
    void reportsEveryBranchOfAFanOutAsPlannedAndRunsNone() {
        CallResult r = call(app(fanout), "fanout", "step", request());
        assertEquals(206, r.status());
        JsonNode ops = body(r);
        assertEquals(3, ops.size());
        for (int i = 0; i < 3; i++) {
            assertEquals("StepPlanned", ops.get(i).get("op").asText());
            assertEquals("p" + (i + 1), ops.get(i).get("displayName").asText());
            assertEquals(StepIds.sha1Hex("p" + (i + 1)), ops.get(i).get("id").asText());
        }
        assertEquals(0, ran.size());
    }

    @Test
    void aTargetedRequestRunsOnlyThePlannedStepItNames() {
        CallResult r = call(app(fanout), "fanout", StepIds.sha1Hex("p2"), request().disableImmediateExecution());
        assertEquals(206, r.status());
        JsonNode ops = body(r);
        assertEquals(1, ops.size());
        assertEquals("StepRun", ops.get(0).get("op").asText());
        assertEquals(2, ops.get(0).get("data").asInt());
        assertEquals(1, ran("p2"));
        assertEquals(0, ran("p1") + ran("p3"));
    }

    @Test
    void aTargetedRequestForAStepNeverReachedAnswersStepNotFound() {
        CallResult r = call(app(fanout), "fanout", StepIds.sha1Hex("nope"), request());
        JsonNode op = body(r).get(0);
        assertEquals("StepNotFound", op.get("op").asText());
        assertEquals(StepIds.sha1Hex("nope"), op.get("id").asText());
        assertEquals(0, ran.size());
    }

    @Test
    void resumesAFanOutWhenEveryBranchIsMemoized() {
        CallResult r = call(app(fanout), "fanout", "step", request().memo("p1", 1).memo("p2", 2).memo("p3", 3));
        assertEquals(200, r.status());
        assertEquals(6, body(r).asInt());
    }

    @Test
    void plansTheRemainingBranchesWhenSomeAreMemoized() {
        CallResult r = call(app(fanout), "fanout", "step", request().disableImmediateExecution().memo("p2", 2));
        JsonNode ops = body(r);
        assertEquals(2, ops.size());
        assertEquals("p1", ops.get(0).get("displayName").asText());
        assertEquals("p3", ops.get(1).get("displayName").asText());
    }

    @Test
    void withImmediateExecutionDisabledASingleStepIsPlannedNotRun() {
        CallResult r = call(app(seq), "seq", "step", request().disableImmediateExecution());
        JsonNode op = body(r).get(0);
        assertEquals("StepPlanned", op.get("op").asText());
        assertEquals(0, ran.size());
    }

    @Test
    void aStepThatThrowsIsReportedAsAStepErrorWithItsName() {
        var fn = Function.builder("boom").trigger(Trigger.event("x")).handler((input, step) ->
                step.run("boom", String.class, () -> { throw new IllegalStateException("kaput"); }));
        CallResult r = call(app(fn), "boom", "step", request());
        assertEquals(206, r.status());
        JsonNode op = body(r).get(0);
        assertEquals("StepError", op.get("op").asText());
        assertEquals("IllegalStateException", op.get("error").get("name").asText());
        assertEquals("kaput", op.get("error").get("message").asText());
        assertTrue(op.get("error").get("stack").asText().contains("kaput"));
        assertFalse(r.noRetry());
    }

    @Test
    void aNonRetriableStepErrorIsFinalAtOnce() {
        var fn = Function.builder("boom").trigger(Trigger.event("x")).handler((input, step) ->
                step.run("boom", String.class, () -> { throw new NonRetriableException("no way"); }));
        JsonNode op = body(call(app(fn), "boom", "step", request())).get(0);
        assertEquals("StepFailed", op.get("op").asText());
        assertEquals("NonRetriableError", op.get("error").get("name").asText());
    }

    @Test
    void aStepErrorOnTheLastAttemptTheExecutorAnnouncesIsFinal() {
        var fn = Function.builder("boom").trigger(Trigger.event("x")).retries(2).handler((input, step) ->
                step.run("boom", String.class, () -> { throw new IllegalStateException("kaput"); }));
        assertEquals("StepError", body(call(app(fn), "boom", "step", request().attempt(1).maxAttempts(3))).get(0).get("op").asText());
        CallResult last = call(app(fn), "boom", "step", request().attempt(2).maxAttempts(3));
        JsonNode op = body(last).get(0);
        assertEquals("StepFailed", op.get("op").asText());
        assertTrue(last.noRetry());
        assertEquals("{\"__serialized\":true,\"name\":\"IllegalStateException\",\"message\":\"kaput\",\"stack\":\"\"}", op.get("data").toString());
        // Without max_attempts only the executor knows which attempt is the last, as with the JS SDK.
        assertEquals("StepError", body(call(app(fn), "boom", "step", request().attempt(2))).get(0).get("op").asText());
    }

    @Test
    void aFunctionErrorOnTheLastAttemptIsNotRetried() {
        var fn = Function.builder("fails").trigger(Trigger.event("x")).handler((input, step) -> {
            throw new IllegalStateException("outer");
        });
        CallResult r = call(app(fn), "fails", "step", request().attempt(3).maxAttempts(4));
        assertEquals(400, r.status());
        assertTrue(r.noRetry());
    }

    @Test
    void aRetryAfterInAStepSetsTheRetryAfterHeader() {
        var fn = Function.builder("later").trigger(Trigger.event("x")).handler((input, step) ->
                step.run("later", String.class, () -> { throw new RetryAfterException("busy", Duration.ofSeconds(30)); }));
        CallResult r = call(app(fn), "later", "step", request());
        assertEquals("StepError", body(r).get(0).get("op").asText());
        assertEquals("30", r.retryAfter());
    }

    @Test
    void aMemoizedStepErrorCanBeCaughtByTheFunction() {
        var fn = Function.builder("catch").trigger(Trigger.event("x")).handler((input, step) -> {
            try {
                step.run("boom", String.class, () -> "never");
                return "not reached";
            } catch (StepFailedException e) {
                return e.stepId() + ":" + e.errorName() + ":" + e.errorMessage();
            }
        });
        CallResult r = call(app(fn), "catch", "step", request().memoError("boom", "Error", "kaput"));
        assertEquals(200, r.status());
        assertEquals("boom:Error:kaput", body(r).asText());
    }

    @Test
    void anUncaughtMemoizedStepErrorFailsTheFunctionWithoutRetry() {
        var fn = Function.builder("nocatch").trigger(Trigger.event("x")).handler((input, step) ->
                step.run("boom", String.class, () -> "never"));
        CallResult r = call(app(fn), "nocatch", "step", request().memoError("boom", "NonRetriableError", "no way"));
        assertEquals(400, r.status());
        assertTrue(r.noRetry());
        assertEquals("NonRetriableError", body(r).get("name").asText());
        assertEquals("no way", body(r).get("message").asText());
    }

    @Test
    void aFunctionThatThrowsAnswers500WithRetriesAndItsCauseChain() {
        var fn = Function.builder("fails").trigger(Trigger.event("x")).handler((input, step) -> {
            throw new IllegalStateException("outer", new java.io.IOException("inner"));
        });
        CallResult r = call(app(fn), "fails", "step", request());
        assertEquals(500, r.status());
        assertFalse(r.noRetry());
        JsonNode err = body(r);
        assertEquals("IllegalStateException", err.get("name").asText());
        assertEquals("IOException", err.get("cause").get("name").asText());
        assertEquals("inner", err.get("cause").get("message").asText());
    }

    @Test
    void aCheckedExceptionFromTheHandlerIsReportedUnwrapped() {
        var fn = Function.builder("checked").trigger(Trigger.event("x")).handler((input, step) -> {
            throw new java.io.IOException("disk");
        });
        JsonNode err = body(call(app(fn), "checked", "step", request()));
        assertEquals("IOException", err.get("name").asText());
    }

    @Test
    void aNonRetriableFunctionErrorAnswers400WithNoRetry() {
        var fn = Function.builder("nr").trigger(Trigger.event("x")).handler((input, step) -> {
            throw new NonRetriableException("bad input");
        });
        CallResult r = call(app(fn), "nr", "step", request());
        assertEquals(400, r.status());
        assertTrue(r.noRetry());
        assertEquals("NonRetriableError", body(r).get("name").asText());
    }

    @Test
    void aRetryAfterFromTheFunctionCarriesAnInstant() {
        Instant at = Instant.parse("2030-01-01T00:00:00Z");
        var fn = Function.builder("ra").trigger(Trigger.event("x")).handler((input, step) -> {
            throw new RetryAfterException("later", at);
        });
        CallResult r = call(app(fn), "ra", "step", request());
        assertEquals(500, r.status());
        assertEquals("2030-01-01T00:00:00.000Z", r.retryAfter());
    }

    @Test
    void theSameRequestAlwaysGetsTheSameAnswer() {
        var a = app(fanout);
        byte[] first = call(a, "fanout", "step", request().memo("p2", 2)).body();
        for (int i = 0; i < 20; i++) {
            assertEquals(new String(first), new String(call(a, "fanout", "step", request().memo("p2", 2)).body()));
        }
    }

    @Test
    void repeatedIdsInsideParallelBranchesAreHashedInBranchOrder() {
        var fn = Function.builder("rep").trigger(Trigger.event("x")).handler((input, step) -> step.parallel(List.<Callable<String>>of(
                () -> step.run("same", String.class, () -> "first"),
                () -> step.run("same", String.class, () -> "second"))));
        for (int i = 0; i < 20; i++) {
            JsonNode ops = body(call(app(fn), "rep", "step", request()));
            assertEquals(StepIds.hash("same", 0), ops.get(0).get("id").asText());
            assertEquals(StepIds.hash("same", 1), ops.get(1).get("id").asText());
        }
    }

    @Test
    void anUnknownFunctionIsAClearError() {
        CallResult r = app(seq).call("app-nope", "step", request().build(), null);
        assertEquals(500, r.status());
        assertTrue(body(r).get("message").asText().contains("has no function \"app-nope\""));
    }

    @Test
    void parallelBranchesMayHoldSeveralStepsAndNestedFanOuts() {
        var fn = Function.builder("nested").trigger(Trigger.event("x")).handler((input, step) -> step.parallel(List.<Callable<Integer>>of(
                () -> step.run("x1", Integer.class, () -> 1) + step.run("x2", Integer.class, () -> 2),
                () -> step.<Integer>parallel(List.of(() -> step.run("y1", Integer.class, () -> 10), () -> step.run("y2", Integer.class, () -> 20)))
                        .stream().mapToInt(Integer::intValue).sum())));
        JsonNode ops = body(call(app(fn), "nested", "step", request()));
        assertEquals(List.of("x1", "y1", "y2"), names(ops));
        ops = body(call(app(fn), "nested", "step", request().memo("x1", 1).memo("y1", 10).memo("y2", 20).disableImmediateExecution()));
        assertEquals(List.of("x2"), names(ops));
        CallResult done = call(app(fn), "nested", "step", request().memo("x1", 1).memo("y1", 10).memo("y2", 20).memo("x2", 2));
        assertEquals("[3,30]", body(done).toString());
    }

    static List<String> names(JsonNode ops) {
        var out = new ArrayList<String>();
        ops.forEach(o -> out.add(o.get("displayName").asText()));
        return out;
    }

    @Test
    void aFailedBranchFailsTheParallelCallAfterEveryBranchFinished() {
        var fn = Function.builder("pf").trigger(Trigger.event("x")).handler((input, step) -> {
            try {
                step.parallel(List.<Callable<String>>of(() -> step.run("ok", String.class, () -> "ok"),
                        () -> step.run("bad", String.class, () -> "never")));
                return "no";
            } catch (StepFailedException e) {
                return "caught " + e.stepId();
            }
        });
        CallResult r = call(app(fn), "pf", "step", request().memo("ok", "ok").memoError("bad", "Error", "x"));
        assertEquals("caught bad", body(r).asText());
    }

    @Test
    void stepsCalledFromAForeignThreadAreRefusedClearly() {
        var fn = Function.builder("foreign").trigger(Trigger.event("x")).handler((input, step) -> {
            var t = new Object() { String message; };
            Thread th = Thread.ofVirtual().start(() -> {
                try {
                    step.run("x", String.class, () -> "y");
                } catch (IllegalStateException e) {
                    t.message = e.getMessage();
                }
            });
            th.join();
            return t.message;
        });
        assertTrue(body(call(app(fn), "foreign", "step", request())).asText().startsWith("step tools must be called from"));
    }

    @Test
    void theRunsEventDataIsBoundToTheHandlersType() {
        record Signup(String userId, int age) {}
        var fn = Function.builder("typed").trigger(Trigger.event("x")).handler(Signup.class, (input, step) ->
                input.data().userId() + "/" + input.data().age() + "/" + input.runId() + "/" + input.attempt());
        CallResult r = call(app(fn), "typed", "step", request().data(new Signup("u1", 42)).attempt(2));
        assertEquals("u1/42/01RUN/2", body(r).asText());
    }

    @Test
    void emptyStringArgumentsAreRejected() {
        var fn = Function.builder("e").trigger(Trigger.event("x")).handler((input, step) -> step.run("", String.class, () -> "x"));
        CallResult r = call(app(fn), "e", "step", request());
        assertEquals(500, r.status());
        assertEquals("a step id must not be empty", body(r).get("message").asText());
    }
}
