package dev.loomstep.internal.run;

import static dev.loomstep.Calls.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Calls;
import dev.loomstep.Config;
import dev.loomstep.Function;
import dev.loomstep.FunctionHandler;
import dev.loomstep.Loomstep;
import dev.loomstep.Trigger;
import dev.loomstep.protocol.CallResult;
import dev.loomstep.protocol.StepIds;
import dev.loomstep.testkit.LogCapture;
import dev.loomstep.testkit.LogCapture.Line;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A call whose recorded state no longer fits the code (the function changed while its run was in
 * flight) is said once per run, in one WARN naming the run, the function and the step ids; a change
 * that fits (steps added after the recorded ones) says nothing.
 */
class DriftTest {
    final LogCapture log = LogCapture.attach("dev.loomstep.run");

    @BeforeEach
    void forgetWarnedRuns() {
        Drift.forget();
    }

    @AfterEach
    void detach() {
        log.close();
    }

    static CallResult call(FunctionHandler<JsonNode, Object> handler, Calls request) {
        var fn = Function.builder("f").trigger(Trigger.event("test/event")).handler(handler);
        Loomstep app = Loomstep.builder("app").config(Config.from(Map.of("INNGEST_DEV", "1"))).functions(fn).build();
        return app.call("app-f", "step", request.build(), null);
    }

    List<Line> warnings() {
        return log.lines().stream().filter(l -> l.level().equals("WARN")).toList();
    }

    /** The run recorded "reserve" then "charge"; the code renamed "charge" to "charge-card". */
    static Calls recordedReserveAndCharge(String runId) {
        return request().runId(runId).memo("reserve", "r1").memo("charge", "c1");
    }

    @Test
    void aRenamedStepIsOneWarningNamingTheRunTheFunctionTheUnusedStepAndTheNewOne() {
        CallResult r = call((in, step) -> {
            step.run("reserve", String.class, () -> "r");
            return step.run("charge-card", String.class, () -> "c");
        }, recordedReserveAndCharge("01DRIFT").disableImmediateExecution());
        assertEquals(206, r.status(), "the run takes the new path");

        List<Line> warns = warnings();
        assertEquals(1, warns.size(), log.lines().toString());
        String m = warns.get(0).message();
        assertTrue(m.startsWith("run 01DRIFT of app-f does not fit its function's current code: 1 recorded step was not reached ("
                + StepIds.hash("charge", 0) + "); the code reached new step \"charge-card\" first. A step was inserted, renamed,"), m);
    }

    @Test
    void theSameRunIsWarnedAboutOnceAcrossItsCalls() {
        FunctionHandler<JsonNode, Object> changed = (in, step) -> {
            step.run("reserve", String.class, () -> "r");
            return step.run("charge-card", String.class, () -> "c");
        };
        call(changed, recordedReserveAndCharge("01ONCE").disableImmediateExecution());
        call(changed, recordedReserveAndCharge("01ONCE").memo("charge-card", "c2"));
        call(changed, recordedReserveAndCharge("01OTHER").disableImmediateExecution());

        assertEquals(2, warnings().size(), log.lines().toString());
        assertTrue(warnings().get(1).message().startsWith("run 01OTHER "), warnings().toString());
    }

    @Test
    void aFunctionThatNowEndsBeforeARecordedStepSaysItCompletedWithoutIt() {
        call((in, step) -> step.run("reserve", String.class, () -> "r"), recordedReserveAndCharge("01SHORT"));
        assertEquals(1, warnings().size(), log.lines().toString());
        assertTrue(warnings().get(0).message().contains("the code completed without them"), warnings().toString());
    }

    @Test
    void reorderedStepsThatWaitOnANewStepFirstAreNoticed() {
        call((in, step) -> {
            step.run("audit", String.class, () -> "a"); // moved in front of the recorded steps
            step.run("reserve", String.class, () -> "r");
            return step.run("charge", String.class, () -> "c");
        }, recordedReserveAndCharge("01FRONT").disableImmediateExecution());
        assertEquals(1, warnings().size(), log.lines().toString());
        assertTrue(warnings().get(0).message().contains("2 recorded steps were not reached"), warnings().toString());
    }

    @Test
    void stepsAddedAfterTheRecordedOnesAreNotADrift() {
        CallResult r = call((in, step) -> {
            step.run("reserve", String.class, () -> "r");
            step.run("charge", String.class, () -> "c");
            return step.run("notify", String.class, () -> "n"); // new in this deploy
        }, recordedReserveAndCharge("01ADDED").disableImmediateExecution());
        assertEquals(206, r.status());
        assertEquals(List.of(), warnings());
    }

    @Test
    void anUnchangedFanOutARaceAndAFailFastFanOutAreNotADrift() {
        Callable<String> a = () -> "a";
        call((in, step) -> step.parallel(List.<Callable<String>>of(
                () -> step.run("left", String.class, a), () -> step.run("right", String.class, a))),
                request().runId("01FAN").memo("left", "l").memo("right", "r"));
        // the race's loser ran its step too, but the winner decides: the loser's state stays unused
        call((in, step) -> step.race(List.<Callable<String>>of(
                () -> step.run("fast", String.class, a), () -> {
                    step.run("slow", String.class, a);
                    return step.run("slow-2", String.class, a);
                })),
                request().runId("01RACE").memo("fast", "f").memo("slow", "s"));
        // a fail-fast fan-out whose first branch failed for good drops its siblings before they use their state
        call((in, step) -> step.parallel(List.<Callable<String>>of(
                () -> step.run("declined", String.class, a), () -> step.run("other", String.class, a))),
                request().runId("01FAILFAST").memoError("declined", "Error", "card declined").memo("other", "o"));
        assertEquals(List.of(), warnings());
    }

    @Test
    void aTargetedCallIsNotJudged() {
        var fn = Function.builder("f").trigger(Trigger.event("test/event")).handler((FunctionHandler<JsonNode, Object>) (in, step) ->
                step.parallel(List.<Callable<String>>of(() -> step.run("x", String.class, () -> "x"), () -> step.run("y", String.class, () -> "y"))));
        Loomstep app = Loomstep.builder("app").config(Config.from(Map.of("INNGEST_DEV", "1"))).functions(fn).build();
        app.call("app-f", StepIds.hash("y", 0), request().runId("01TARGET").memo("x", "x").build(), null);
        assertEquals(List.of(), warnings());
    }
}
