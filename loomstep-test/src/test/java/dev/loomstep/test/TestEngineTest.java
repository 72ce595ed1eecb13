package dev.loomstep.test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Event;
import dev.loomstep.Function;
import dev.loomstep.Invoke;
import dev.loomstep.Trigger;
import dev.loomstep.WaitForEvent;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The test engine plays the executor: memoized steps, virtual time, waits, invokes, sends, fan-out, stops. */
class TestEngineTest {
    record Signup(String userId) {}

    static final Function<Signup, String> WAITS = Function.builder("waits").trigger(Trigger.event("app/signup"))
            .handler(Signup.class, (input, step) -> {
                var seen = step.waitForEvent("first-login", JsonNode.class, WaitForEvent.of("app/login").timeout(Duration.ofHours(72))
                        .ifExpression("event.data.userId == async.data.userId"));
                return seen.map(d -> "logged in from " + d.path("device").asText()).orElse("never logged in");
            });

    @Test
    void stepsRunOnceEachAndAreReportedInOrderWithTheirOutputs() {
        var bodies = new AtomicInteger();
        var fn = Function.builder("seq").trigger(Trigger.event("t/seq")).handler((input, step) -> {
            int a = step.run("a", Integer.class, () -> bodies.incrementAndGet() * 10);
            int b = step.run("b", Integer.class, () -> bodies.incrementAndGet() * 10 + a);
            return Map.of("sum", a + b);
        });
        RunResult r = TestEngine.builder(fn).build().trigger("t/seq", Map.of()).run();

        assertEquals(RunStatus.COMPLETED, r.status(), r.toString());
        assertEquals(40, r.output().path("sum").asInt(), r.toString());
        assertEquals(List.of("a", "b"), r.stepIds());
        assertEquals(10, r.step("a").output(Integer.class));
        assertEquals(30, r.step("b").output(Integer.class));
        assertEquals(StepKind.RUN, r.step("a").kind());
        assertEquals(1, r.step("b").attempts());
        assertEquals(2, bodies.get(), "each body runs exactly once across the replays");
        assertEquals(3, r.calls(), "one call per new step, then the one that returns");
    }

    @Test
    void sleepsPassInVirtualTimeWithoutWaiting() {
        var fn = Function.builder("sleeper").trigger(Trigger.event("t/sleep")).handler((input, step) -> {
            step.sleep("a-week", Duration.ofDays(7));
            step.sleepUntil("new-year", Instant.parse("2031-01-01T00:00:00Z"));
            return "awake";
        });
        long began = System.nanoTime();
        RunResult r = TestEngine.builder(fn).startAt(Instant.parse("2030-06-01T00:00:00Z")).build().trigger("t/sleep", Map.of()).run();

        assertEquals("awake", r.output(String.class), r.toString());
        assertEquals(Duration.between(Instant.parse("2030-06-01T00:00:00Z"), Instant.parse("2031-01-01T00:00:00Z")), r.elapsed());
        assertEquals(List.of(StepKind.SLEEP, StepKind.SLEEP), r.steps().stream().map(StepResult::kind).toList());
        assertEquals("1w", r.step("a-week").options().path("duration").asText());
        assertTrue(System.nanoTime() - began < Duration.ofSeconds(5).toNanos(), "a week of sleep took real time");
    }

    @Test
    void aWaitIsAnsweredByASuppliedEventWhoseIfExpressionMatches() {
        RunResult r = TestEngine.builder(WAITS).build().trigger("app/signup", new Signup("u_1"))
                .receive(Event.of("app/login", Map.of("userId", "u_2", "device", "phone")))   // another user's: no match
                .receive(Duration.ofHours(5), Event.of("app/login", Map.of("userId", "u_1", "device", "laptop")))
                .run();

        assertEquals("logged in from laptop", r.output(String.class), r.toString());
        assertEquals(Duration.ofHours(5), r.elapsed());
        StepResult wait = r.step("first-login");
        assertEquals(StepKind.WAIT_FOR_EVENT, wait.kind());
        assertEquals("app/login", wait.options().path("event").asText());
        assertEquals("event.data.userId == async.data.userId", wait.options().path("if").asText());
        assertEquals("u_1", wait.output().path("data").path("userId").asText(), "the output is the matching event");
    }

    @Test
    void aWaitTimesOutWhenNoEventMatchesOrTheMatchComesTooLate() {
        RunResult none = TestEngine.builder(WAITS).build().trigger("app/signup", new Signup("u_1"))
                .receive(Event.of("app/login", Map.of("userId", "u_9", "device", "phone"))).run();
        assertEquals("never logged in", none.output(String.class), none.toString());
        assertEquals(Duration.ofHours(72), none.elapsed());
        assertTrue(none.step("first-login").output().isNull());

        RunResult late = TestEngine.builder(WAITS).build().trigger("app/signup", new Signup("u_1"))
                .receive(Duration.ofHours(73), Event.of("app/login", Map.of("userId", "u_1", "device", "phone"))).run();
        assertEquals("never logged in", late.output(String.class), late.toString());
    }

    @Test
    void sentEventsAreRecordedWithTheirIdsAndReportedAsSendEventSteps() {
        var fn = Function.builder("sender").trigger(Trigger.event("t/send")).handler((input, step) ->
                step.sendEvent("notify", Event.of("t/notified", Map.of("n", 1)), Event.of("t/notified", Map.of("n", 2))));
        RunResult r = TestEngine.builder(fn).build().trigger("t/send", Map.of()).run();

        assertEquals(List.of("t/notified", "t/notified"), r.sentEvents().stream().map(Event::name).toList());
        assertEquals(List.of(1, 2), r.sentEvents().stream().map(e -> e.data().path("n").asInt()).toList());
        assertEquals(StepKind.SEND_EVENT, r.step("notify").kind());
        List<String> ids = r.sentEvents().stream().map(Event::id).toList();
        assertEquals(ids.get(1), r.step("notify").output().path("ids").get(1).asText(), r.toString());
        assertEquals(ids, r.output(List.class));
    }

    static final Function<JsonNode, Integer> DOUBLE = Function.builder("double").trigger(Trigger.event("t/double"))
            .handler((input, step) -> {
                step.sleep("think", Duration.ofMinutes(2));
                return step.run("times-two", Integer.class, () -> input.data().path("n").asInt() * 2);
            });

    static Function<JsonNode, Integer> caller(Duration timeout) {
        return Function.builder("caller").trigger(Trigger.event("t/call")).handler((input, step) ->
                step.invoke("ask", Integer.class, Invoke.function(DOUBLE).data(Map.of("n", 21)).timeout(timeout)) + 1);
    }

    @Test
    void anInvokedFunctionOfTheEngineRunsForRealInVirtualTime() {
        RunResult r = TestEngine.builder(caller(Duration.ofMinutes(5))).functions(DOUBLE).build().trigger("t/call", Map.of()).run();

        assertEquals(43, r.output(Integer.class), r.toString());
        assertEquals(StepKind.INVOKE, r.step("ask").kind());
        assertEquals("test-app-double", r.step("ask").options().path("function_id").asText());
        assertEquals(42, r.step("ask").output(Integer.class));
        assertEquals(Duration.ofMinutes(2), r.elapsed(), "the child's sleep is the parent's wait");
    }

    @Test
    void anInvokeTimesOutWhenTheInvokedFunctionTakesLongerThanItsTimeout() {
        var fn = Function.builder("catcher").trigger(Trigger.event("t/call")).handler((input, step) -> {
            try {
                return step.invoke("ask", Integer.class, Invoke.function(DOUBLE).data(Map.of("n", 1)).timeout(Duration.ofMinutes(1)));
            } catch (dev.loomstep.StepFailedException e) {
                return -1;
            }
        });
        RunResult r = TestEngine.builder(fn).functions(DOUBLE).build().trigger("t/call", Map.of()).run();

        assertEquals(-1, r.output(Integer.class), r.toString());
        assertEquals("InngestInvokeTimeoutError", r.step("ask").error().name());
        assertEquals(Duration.ofMinutes(1), r.elapsed());
    }

    @Test
    void anInvokeIsAnsweredByAStubGivenTheInvokePayload() {
        var asked = new ArrayList<JsonNode>();
        RunResult r = TestEngine.builder(caller(Duration.ofMinutes(5)))
                .stubInvoke("double", data -> {
                    asked.add(data);
                    return 100;
                })
                .build().trigger("t/call", Map.of()).run();

        assertEquals(101, r.output(Integer.class), r.toString());
        assertEquals(21, asked.get(0).path("n").asInt());
        assertEquals(Duration.ZERO, r.elapsed());
    }

    @Test
    void anInvokeOfAFunctionTheEngineDoesNotHaveFailsTheStepWithAClearError() {
        RunResult r = TestEngine.builder(caller(Duration.ofMinutes(5))).build().trigger("t/call", Map.of()).run();

        assertEquals(RunStatus.FAILED, r.status(), r.toString());
        assertTrue(r.step("ask").error().message().contains("add it with TestEngine.Builder.functions"), r.toString());
    }

    @Test
    void parallelBranchesArePlannedTogetherAndEachRunByATargetedCall() {
        var fn = Function.builder("fan").trigger(Trigger.event("t/fan")).handler((input, step) -> {
            var branches = new ArrayList<Callable<Integer>>();
            for (int i = 0; i < 3; i++) {
                int n = i;
                branches.add(() -> step.run("p" + n, Integer.class, () -> n * n));
            }
            List<Integer> squares = step.parallel(branches);
            return step.run("sum", Integer.class, () -> squares.stream().mapToInt(Integer::intValue).sum());
        });
        RunResult r = TestEngine.builder(fn).build().trigger("t/fan", Map.of()).run();

        assertEquals(5, r.output(Integer.class), r.toString());
        assertEquals(List.of(List.of("p0", "p1", "p2")), r.parallelBranches());
        assertEquals(List.of("p0", "p1", "p2", "sum"), r.stepIds());
        // discovery (3 planned), 3 targeted calls, discovery that plans "sum", its targeted call, the last
        assertEquals(7, r.calls(), r.toString());
    }

    @Test
    void runUntilStopsOnceTheNamedStepHasItsResult() {
        var later = new AtomicInteger();
        var fn = Function.builder("stoppable").trigger(Trigger.event("t/stop")).handler((input, step) -> {
            step.run("first", Integer.class, () -> 1);
            step.sleep("nap", Duration.ofHours(1));
            return step.run("last", Integer.class, later::incrementAndGet);
        });
        RunResult r = TestEngine.builder(fn).build().trigger("t/stop", Map.of()).runUntil("nap");

        assertEquals(RunStatus.RUNNING, r.status(), r.toString());
        assertEquals(List.of("first", "nap"), r.stepIds());
        assertEquals(0, later.get(), "nothing after the stop ran");
        assertNull(r.output());
    }

    @Test
    void aBatchTriggerGivesTheFunctionEveryEvent() {
        var fn = Function.builder("batch").trigger(Trigger.event("t/item")).handler((input, step) -> input.events().size());
        RunResult r = TestEngine.builder(fn).build()
                .trigger(Event.of("t/item", Map.of("i", 1)), Event.of("t/item", Map.of("i", 2)), Event.of("t/item", Map.of("i", 3))).run();
        assertEquals(3, r.output(Integer.class), r.toString());
    }
}
