package dev.loomstep.test;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.loomstep.Function;
import dev.loomstep.NonRetriableException;
import dev.loomstep.Trigger;
import dev.loomstep.WaitForSignal;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Races, fail-fast parallel steps and the signal tools on the test engine, in virtual time. */
class TestEngineRaceAndSignalsTest {

    @Test
    void aRaceIsWonByTheBranchThatEndsFirstInVirtualTime() {
        var fn = Function.builder("race").trigger(Trigger.event("t/race")).handler((in, step) -> step.race(List.<Callable<String>>of(
                () -> {
                    step.sleep("a-day", Duration.ofDays(1));
                    return "day";
                },
                () -> {
                    step.sleep("an-hour", Duration.ofHours(1));
                    return "hour";
                })));
        RunResult r = TestEngine.builder(fn).build().trigger("t/race", Map.of()).run();

        assertEquals(RunStatus.COMPLETED, r.status(), r.toString());
        assertEquals("hour", r.output(String.class), "the later-declared branch ended first: " + r);
        assertEquals(Duration.ofHours(1), r.elapsed(), "the run did not wait for the losing day: " + r);
    }

    @Test
    void aFailedBranchEndsAParallelCallBeforeItsSiblingGoesOn() {
        var a2 = new AtomicInteger();
        var fn = Function.builder("fails").trigger(Trigger.event("t/fails")).handler((in, step) -> step.parallel(List.<Callable<Integer>>of(
                () -> {
                    step.sleep("wait", Duration.ofHours(1));
                    return step.run("a2", Integer.class, a2::incrementAndGet);
                },
                () -> step.run("b", Integer.class, () -> {
                    throw new NonRetriableException("b is broken");
                }))));
        RunResult r = TestEngine.builder(fn).build().trigger("t/fails", Map.of()).run();

        assertEquals(RunStatus.FAILED, r.status(), r.toString());
        assertEquals("b is broken", r.error().message());
        assertEquals(0, a2.get(), "the other branch never went on: " + r);
    }

    @Test
    void waitForSignalEndsEmptyAtItsTimeoutAndSendSignalResumesNobody() {
        var fn = Function.builder("signals").trigger(Trigger.event("t/signals")).handler((in, step) -> {
            Optional<String> sent = step.sendSignal("tell", "t/approve", Map.of("ok", true));
            Optional<String> got = step.waitForSignal("approval", String.class, WaitForSignal.of("t/approve").timeout(Duration.ofDays(2)));
            return sent.orElse("nobody") + " / " + got.orElse("timed out");
        });
        RunResult r = TestEngine.builder(fn).build().trigger("t/signals", Map.of()).run();

        assertEquals("nobody / timed out", r.output(String.class), r.toString());
        assertEquals(StepKind.SEND_SIGNAL, r.step("tell").kind());
        assertEquals(StepKind.WAIT_FOR_SIGNAL, r.step("approval").kind());
        assertEquals(Duration.ofDays(2), r.elapsed());
    }

    @Test
    void aRealtimePublishStepRunsOnceAndItsOutputIsTheDataPublished() {
        var fn = Function.builder("publishes").trigger(Trigger.event("t/publishes")).handler((in, step) -> {
            step.publish("announce", "orders/1", "status", Map.of("state", "packed"));
            step.sleep("later", Duration.ofMinutes(5));
            return "ok";
        });
        RunResult r = TestEngine.builder(fn).build().trigger("t/publishes", Map.of()).run();

        assertEquals("ok", r.output(String.class), r.toString());
        assertEquals(StepKind.REALTIME_PUBLISH, r.step("announce").kind());
        assertEquals("packed", r.step("announce").output().path("state").asText());
        assertEquals(1, r.step("announce").attempts());
    }
}
