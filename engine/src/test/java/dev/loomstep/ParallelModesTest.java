package dev.loomstep;

import static dev.loomstep.Calls.body;
import static dev.loomstep.Calls.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.protocol.CallResult;
import dev.loomstep.protocol.StepIds;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** {@code step.parallel} fails fast, {@code step.parallelSettled} waits for all, {@code step.race} keeps the first. */
class ParallelModesTest {
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

    Loomstep app(Function<?, ?>... fns) {
        return Loomstep.builder("app").config(Config.from(Map.of("INNGEST_DEV", "1"))).functions(fns).build();
    }

    CallResult call(Loomstep app, String fn, String stepId, Calls c) {
        return app.call("app-" + fn, stepId, c.build(), null);
    }

    /** Branch one runs a1 then a2; branch two runs b. */
    final Function<?, ?> twoBranches = Function.builder("two").trigger(Trigger.event("test/event"))
            .handler((in, step) -> step.parallel(List.<Callable<Integer>>of(
                    () -> {
                        int x = step.run("a1", Integer.class, counting("a1", 1));
                        return step.run("a2", Integer.class, counting("a2", x + 1));
                    },
                    () -> step.run("b", Integer.class, counting("b", 2)))));

    @Test
    void parallelFailsAtOnceWhenABranchFailedForGoodAndNeverPlansItsSiblingsNextStep() {
        CallResult r = call(app(twoBranches), "two", "step",
                request().memo("a1", 1).memoError("b", "NonRetriableError", "b is broken").disableImmediateExecution());
        assertEquals(400, r.status(), new String(r.body()));
        assertTrue(r.noRetry());
        assertEquals("b is broken", body(r).path("message").asText());
        assertEquals(0, ran("a2"), "the sibling's next step must not run");
    }

    @Test
    void parallelFailsAtOnceWhenABranchThrowsBeforeItsSiblingsStart() {
        var fn = Function.builder("throws").trigger(Trigger.event("test/event")).handler((in, step) -> step.parallel(
                List.<Callable<Integer>>of(() -> {
                    throw new IllegalStateException("branch 0 broke");
                }, () -> step.run("b", Integer.class, counting("b", 2)))));
        CallResult r = call(app(fn), "throws", "step", request());
        assertEquals(500, r.status(), new String(r.body()));
        assertEquals("branch 0 broke", body(r).path("message").asText());
        assertEquals(0, ran("b"));
    }

    @Test
    void aCaughtParallelFailureLetsTheRunGoOnWithoutTheAbandonedBranch() {
        var fn = Function.builder("catching").trigger(Trigger.event("test/event")).handler((in, step) -> {
            try {
                return step.parallel(List.<Callable<Integer>>of(
                        () -> {
                            int x = step.run("a1", Integer.class, counting("a1", 1));
                            return step.run("a2", Integer.class, counting("a2", x + 1));
                        },
                        () -> step.run("b", Integer.class, counting("b", 2))));
            } catch (StepFailedException e) {
                return step.run("recover", String.class, counting("recover", "recovered from " + e.errorMessage()));
            }
        });
        CallResult r = call(app(fn), "catching", "step", request().memo("a1", 1).memoError("b", "Error", "nope"));
        assertEquals(206, r.status());
        JsonNode ops = body(r);
        assertEquals(List.of("a2", "recover"), displayNames(ops), "the abandoned branch's found step is still reported, as JS does");
        assertEquals(0, ran("a2"));
        assertEquals(0, ran("recover"), "two ops found: nothing runs at once");

        CallResult done = call(app(fn), "catching", "step", request().memo("a1", 1).memoError("b", "Error", "nope")
                .memo("recover", "recovered from nope").disableImmediateExecution());
        assertEquals(200, done.status(), new String(done.body()));
        assertEquals("recovered from nope", body(done).asText());
        assertEquals(0, ran("a2"), "the abandoned branch never goes on");
    }

    @Test
    void parallelSettledRunsEveryBranchAndReturnsEachOutcome() {
        var fn = Function.builder("settled").trigger(Trigger.event("test/event")).handler((in, step) -> {
            List<Settled<Integer>> all = step.parallelSettled(List.<Callable<Integer>>of(
                    () -> step.run("b", Integer.class, counting("b", 2)),
                    () -> {
                        int x = step.run("a1", Integer.class, counting("a1", 1));
                        return step.run("a2", Integer.class, counting("a2", x + 1));
                    }));
            var out = new ArrayList<String>();
            for (Settled<Integer> s : all) {
                out.add(switch (s) {
                    case Settled.Value<Integer> v -> "value " + v.value();
                    case Settled.Failure<Integer> f -> "failed " + ((StepFailedException) f.error()).errorMessage();
                });
            }
            return out;
        });
        CallResult r = call(app(fn), "settled", "step", request().memoError("b", "Error", "nope").memo("a1", 1));
        assertEquals(206, r.status(), new String(r.body()));
        assertEquals("StepRun", body(r).get(0).path("op").asText(), "the other branch goes on: a2 runs");
        assertEquals(1, ran("a2"));

        CallResult done = call(app(fn), "settled", "step", request().memoError("b", "Error", "nope").memo("a1", 1).memo("a2", 2));
        assertEquals(200, done.status(), new String(done.body()));
        assertEquals("[\"failed nope\",\"value 2\"]", body(done).toString());
    }

    final Function<?, ?> race = Function.builder("race").trigger(Trigger.event("test/event"))
            .handler((in, step) -> {
                String winner = step.race(List.<Callable<String>>of(
                        () -> {
                            step.run("a1", String.class, counting("a1", "a1"));
                            return step.run("a2", String.class, counting("a2", "a"));
                        },
                        () -> step.run("b", String.class, counting("b", "b"))));
                return step.run("after", String.class, counting("after", "won by " + winner));
            });

    @Test
    void raceReportsEveryStepWithParallelModeRaceAndRunsNoneAtOnce() {
        CallResult r = call(app(race), "race", "step", request());
        JsonNode ops = body(r);
        assertEquals(List.of("a1", "b"), displayNames(ops));
        for (JsonNode op : ops) {
            assertEquals("StepPlanned", op.path("op").asText());
            assertEquals("race", op.path("opts").path("parallelMode").asText(), op.toString());
        }
        var single = Function.builder("single").trigger(Trigger.event("test/event"))
                .handler((in, step) -> step.race(List.<Callable<Integer>>of(() -> step.run("only", Integer.class, counting("only", 1)))));
        JsonNode op = body(call(app(single), "single", "step", request())).get(0);
        assertEquals("StepPlanned", op.path("op").asText(), "a race step is never executed at once, as in JS: " + op);
        assertEquals(0, ran("only"));
    }

    @Test
    void theRaceWinnerIsTheBranchTheExecutorSawFinishFirstWhateverTheReplayOrder() {
        // b finished before a2 (stack order): b wins though branch 0 is replayed first.
        CallResult r = call(app(race), "race", "step", request().memo("a1", "a1").memo("b", "b").memo("a2", "a")
                .memo("after", "won by b").disableImmediateExecution());
        assertEquals("won by b", body(r).asText());
        // a2 finished before b: branch 0 wins.
        CallResult r2 = call(app(race), "race", "step", request().memo("a1", "a1").memo("a2", "a").memo("b", "b"));
        assertEquals("StepRun", body(r2).get(0).path("op").asText());
        assertEquals("won by a", body(r2).get(0).path("data").asText());
    }

    @Test
    void raceLosersAreAbandonedAndNeverGoOn() {
        // a1 and b are done, b first: branch 0 loses while it would go on to a2.
        CallResult r = call(app(race), "race", "step", request().memo("b", "b").memo("a1", "a1"));
        JsonNode ops = body(r);
        assertEquals(List.of("after"), displayNames(ops), "a2 is never planned: " + ops);
        assertEquals("StepRun", ops.get(0).path("op").asText());
        assertEquals("won by b", ops.get(0).path("data").asText());
        assertTrue(ops.get(0).path("opts").isMissingNode() || ops.get(0).path("opts").isNull()
                || !ops.get(0).path("opts").has("parallelMode"), "a step after the race is not in race mode: " + ops);
        assertEquals(0, ran("a2"));
    }

    @Test
    void aFailedBranchCanWinARace() {
        CallResult r = call(app(race), "race", "step", request().memoError("b", "Error", "b lost it").memo("a1", "a1"));
        assertEquals(400, r.status(), new String(r.body()));
        assertEquals("b lost it", body(r).path("message").asText());
    }

    @Test
    void aTargetedRaceStepAnswersStepRunWithItsRaceOpts() {
        CallResult r = call(app(race), "race", StepIds.hash("b", 0), request().disableImmediateExecution());
        JsonNode op = body(r).get(0);
        assertEquals("StepRun", op.path("op").asText());
        assertEquals("race", op.path("opts").path("parallelMode").asText());
        assertInstanceOf(String.class, op.path("data").asText());
        assertEquals(1, ran("b"));
    }

    private static List<String> displayNames(JsonNode ops) {
        var out = new ArrayList<String>();
        ops.forEach(op -> out.add(op.path("displayName").asText()));
        return out;
    }
}
