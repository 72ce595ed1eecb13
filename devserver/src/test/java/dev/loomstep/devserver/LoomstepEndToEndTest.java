package dev.loomstep.devserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Checkpointing;
import dev.loomstep.Event;
import dev.loomstep.Function;
import dev.loomstep.Invoke;
import dev.loomstep.NonRetriableException;
import dev.loomstep.StepFailedException;
import dev.loomstep.Trigger;
import dev.loomstep.WaitForEvent;
import dev.loomstep.flow.CancelOn;
import dev.loomstep.undertow.LoomstepServer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * Real Loomstep functions — the engine served by loomstep-undertow's {@link LoomstepServer}, sending events
 * with its event client — driven by the devserver over real HTTP on loopback. Every scenario runs twice:
 * with the app's checkpointing on (the default: sequential steps run back to back in one call, running ahead
 * of the checkpoints they report to {@code POST /v1/checkpoint/{runId}/async}), on as the JS SDK does it
 * ({@link Checkpointing#jsDefaults()}: the run waits for each checkpoint in turn), and off ({@link Checkpointing#off()}).
 */
class LoomstepEndToEndTest {

    @Nested
    class WithCheckpointing extends Scenarios {
        WithCheckpointing() {
            super(Checkpointing.defaults());
        }
    }

    @Nested
    class WithCheckpointingOneStepAtATime extends Scenarios {
        WithCheckpointingOneStepAtATime() {
            super(Checkpointing.jsDefaults());
        }
    }

    @Nested
    class WithoutCheckpointing extends Scenarios {
        WithoutCheckpointing() {
            super(Checkpointing.off());
        }
    }

    @Timeout(60)
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    abstract static class Scenarios {
        private final Checkpointing checkpointing;
        /** The devserver's clock: 2030-01-01T00:10Z, ticking; the cron test moves it to the next hours. */
        final MovableClock clock = new MovableClock(Instant.parse("2030-01-01T00:10:00Z"));
        DevServer dev;
        LoomstepDevServer fixture;
        Api api;
        final AtomicInteger flakyTries = new AtomicInteger();

        Scenarios(Checkpointing checkpointing) {
            this.checkpointing = checkpointing;
        }

        @BeforeAll
        void start() throws Exception {
            var seq = Function.builder("seq").trigger(Trigger.event("ls/seq")).handler((in, step) -> {
                int a = step.run("a", Integer.class, () -> 1);
                step.sleep("nap", Duration.ofMillis(200));
                int b = step.run("b", Integer.class, () -> a + 1);
                return Map.of("sum", a + b, "user", in.data().path("user").asText());
            });
            var fan = Function.builder("fan").trigger(Trigger.event("ls/fan")).handler((in, step) -> {
                var branches = new ArrayList<Callable<Integer>>();
                for (int i = 0; i < 100; i++) {
                    int n = i;
                    branches.add(() -> step.run("s" + n, Integer.class, () -> n));
                }
                return step.parallel(branches).stream().mapToInt(Integer::intValue).sum();
            });
            var approve = Function.builder("approve").trigger(Trigger.event("ls/order")).handler((in, step) -> step
                    .waitForEvent("wait", WaitForEvent.of("ls/approved").timeout(in.data().path("quick").asBoolean()
                            ? Duration.ofMillis(200) : Duration.ofMinutes(1)).ifExpression("event.data.order == async.data.order"))
                    .map(Event::id).orElse("timed out"));
            var child = Function.builder("child").trigger(Trigger.event("ls/child"))
                    .handler((in, step) -> in.data().path("v").asInt() * 2);
            var parent = Function.builder("parent").trigger(Trigger.event("ls/parent"))
                    .handler((in, step) -> step.invoke("call-child", Integer.class,
                            Invoke.function(child).data(Map.of("v", 21)).timeout(Duration.ofMinutes(1))));
            var flaky = Function.builder("flaky").trigger(Trigger.event("ls/flaky")).handler((in, step) ->
                    step.run("a", String.class, () -> {
                        if (flakyTries.incrementAndGet() < 3) {
                            throw new IllegalStateException("boom " + flakyTries.get());
                        }
                        return "fine";
                    }));
            var doomed = Function.builder("doomed").trigger(Trigger.event("ls/doomed")).retries(1)
                    .onFailure((in, step) -> "handled: " + in.data().error().message())
                    .handler((in, step) -> step.run("a", String.class, () -> {
                        throw new IllegalStateException("always");
                    }));
            var refuses = Function.builder("refuses").trigger(Trigger.event("ls/refuses")).handler((in, step) -> {
                throw new NonRetriableException("bad input");
            });
            var sender = Function.builder("sender").trigger(Trigger.event("ls/sender"))
                    .handler((in, step) -> step.sendEvent("notify", Event.of("ls/notified", Map.of("n", 1))));
            var booking = Function.builder("booking").trigger(Trigger.event("ls/booking"))
                    .cancelOn(CancelOn.event("ls/booking-cancelled").ifExpression("event.data.booking == async.data.booking"))
                    .handler((in, step) -> {
                        step.sleep("hold", Duration.ofHours(1));
                        return "kept";
                    });
            var hourly = Function.builder("hourly").trigger(Trigger.cron("0 * * * *")).handler((in, step) ->
                    step.run("tick", String.class, () -> in.event().name() + " " + in.event().data().path("cron").asText()));
            var window = Function.builder("window").trigger(Trigger.event("ls/window"))
                    .cancelOn(CancelOn.event("ls/window-closed").ifExpression("event.data.id == async.data.id")
                            .timeout(Duration.ofMinutes(5)))
                    .handler((in, step) -> {
                        step.sleep("hold", Duration.ofMinutes(6));
                        return "kept";
                    });
            var failingChild = Function.builder("failing-child").trigger(Trigger.event("ls/failing-child"))
                    .handler((in, step) -> {
                        throw new NonRetriableException("no stock for " + in.data().path("sku").asText());
                    });
            var catchingParent = Function.builder("catching-parent").trigger(Trigger.event("ls/catching-parent"))
                    .handler((in, step) -> {
                        try {
                            return "ok: " + step.invoke("call", String.class, Invoke.function(failingChild).data(Map.of("sku", "x1")));
                        } catch (StepFailedException e) {
                            return "caught " + e.stepId() + ": " + e.errorName() + ": " + e.errorMessage();
                        }
                    });
            var slowChild = Function.builder("slow-child").trigger(Trigger.event("ls/slow-child"))
                    .handler((in, step) -> {
                        step.sleep("forever", Duration.ofDays(7));
                        return "too late";
                    });
            var impatientParent = Function.builder("impatient-parent").trigger(Trigger.event("ls/impatient-parent"))
                    .handler((in, step) -> {
                        try {
                            return "ok: " + step.invoke("call", String.class, Invoke.function(slowChild).timeout(Duration.ofMillis(300)));
                        } catch (StepFailedException e) {
                            return "caught " + e.errorName() + ": " + e.errorMessage();
                        }
                    });
            fixture = LoomstepDevServer.builder("ls").devserver(b -> b.clock(clock)).app(b -> b.checkpointing(checkpointing))
                    .start(seq, fan, approve, child, parent, flaky, doomed, refuses, sender, booking, hourly, window,
                            failingChild, catchingParent, slowChild, impatientParent);
            dev = fixture.dev;
            api = fixture.api;
        }

        @AfterAll
        void stop() {
            if (fixture != null) {
                fixture.close();
            }
        }

        @Test
        void runsStepsAndADurableSleepOfARealFunction() {
            long before = api.get("/dev").get("checkpoints").get("committed_steps").asLong();
            JsonNode run = api.awaitStatus(api.runOf(api.send("ls/seq", Map.of("user", "ada"))), "Completed");

            assertEquals(3, run.get("output").get("sum").asInt(), run.toString());
            assertEquals("ada", run.get("output").get("user").asText());
            assertEquals(List.of("a", "nap", "b"), run.get("steps").findValuesAsText("name"));
            JsonNode stats = api.get("/dev").get("checkpoints");
            if (!checkpointing.enabled()) {
                assertEquals(0, stats.get("accepted").asLong(), "no checkpoint with checkpointing off: " + stats);
            } else {
                assertTrue(stats.get("committed_steps").asLong() > before, "a and b were checkpointed: " + stats);
            }
            assertEquals(0, stats.get("refused").asLong(), stats.toString());
        }

        @Test
        void fansOutAHundredParallelSteps() {
            JsonNode run = api.awaitStatus(api.runOf(api.send("ls/fan", Map.of())), "Completed");

            assertEquals(4950, run.get("output").asInt(), run.toString());
            assertEquals(100, run.get("steps").size());
        }

        @Test
        void resumesWaitForEventWithTheMatchingEventOrTimesOut() {
            String waiting = api.runOf(api.send("ls/order", Map.of("order", 1)));
            String quick = api.runOf(api.send("ls/order", Map.of("order", 2, "quick", true)));
            Api.await(() -> api.run(waiting).get("steps"), s -> s.size() == 1, "the run to wait");
            api.send("ls/approved", Map.of("order", 3));
            String approval = api.send("ls/approved", Map.of("order", 1));

            assertEquals(approval, api.awaitStatus(waiting, "Completed").get("output").asText());
            assertEquals("timed out", api.awaitStatus(quick, "Completed").get("output").asText());
        }

        @Test
        void invokesAnotherFunctionOfTheApp() {
            JsonNode run = api.awaitStatus(api.runOf(api.send("ls/parent", Map.of())), "Completed");

            assertEquals(42, run.get("output").asInt(), run.toString());
        }

        @Test
        void retriesAThrowingStepUntilItSucceeds() {
            JsonNode run = api.awaitStatus(api.runOf(api.send("ls/flaky", Map.of())), "Completed");

            assertEquals("fine", run.get("output").asText(), run.toString());
            assertEquals(3, run.get("steps").get(0).get("attempts").asInt());
        }

        @Test
        void failsWhenRetriesRunOutAndRunsTheOnFailureHandler() {
            JsonNode run = api.awaitStatus(api.runOf(api.send("ls/doomed", Map.of())), "Failed");
            JsonNode handler = Api.await(() -> api.get("/v1/runs?function=ls-doomed-failure&status=Completed").get("data"),
                    d -> d.size() == 1, "the onFailure run").get(0);

            assertEquals("always", run.get("error").get("message").asText(), run.toString());
            assertEquals(2, run.get("steps").get(0).get("attempts").asInt());
            assertEquals("handled: always", handler.get("output").asText());
        }

        @Test
        void failsAtOnceOnANonRetriableException() {
            JsonNode run = api.awaitStatus(api.runOf(api.send("ls/refuses", Map.of())), "Failed");

            assertEquals("bad input", run.get("error").get("message").asText(), run.toString());
            assertEquals("NonRetriableError", run.get("error").get("name").asText());
        }

        @Test
        void sendsEventsFromAStepThroughTheEventApi() {
            JsonNode run = api.awaitStatus(api.runOf(api.send("ls/sender", Map.of())), "Completed");

            String id = run.get("output").get(0).asText();
            assertEquals("ls/notified", api.get("/v1/events/" + id).get("data").get("name").asText(), run.toString());
        }

        @Test
        void cancelsASleepingRealRunThroughTheRestApi() {
            String runId = api.runOf(api.send("ls/order", Map.of("order", 99)));
            Api.await(() -> api.run(runId).get("steps"), s -> s.size() == 1, "the run to wait");

            assertEquals(200, api.request("DELETE", "/v1/runs/" + runId, null).status());
            api.send("ls/approved", Map.of("order", 99));

            assertEquals("Cancelled", api.run(runId).get("status").asText());
            assertTrue(api.run(runId).get("error").get("message").asText().contains("cancelled"));
        }

        @Test
        void cancelOnCancelsASleepingRunOnlyWhenTheEventMatchesItsExpression() {
            String one = api.runOf(api.send("ls/booking", Map.of("booking", 1)));
            String two = api.runOf(api.send("ls/booking", Map.of("booking", 2)));
            for (String runId : List.of(one, two)) {
                Api.await(() -> api.run(runId).get("steps"), s -> s.size() == 1, "run " + runId + " to sleep");
            }

            api.send("ls/booking-cancelled", Map.of("booking", 3)); // matches neither: /e acts on events before it answers
            assertEquals("Running", api.run(one).get("status").asText());
            assertEquals("Running", api.run(two).get("status").asText());
            String cancel = api.send("ls/booking-cancelled", Map.of("booking", 1));

            JsonNode cancelled = api.run(one);
            assertEquals("Cancelled", cancelled.get("status").asText(), cancelled.toString());
            assertTrue(cancelled.get("error").get("message").asText().contains(cancel), cancelled.toString());
            assertEquals("Running", api.run(two).get("status").asText(), "booking 2 is not cancelled by booking 1's event");
            JsonNode cancelledEvent = Api.await(() -> api.get("/v1/events?name=inngest/function.cancelled").get("data"),
                    d -> d.findValuesAsText("run_id").contains(one), "inngest/function.cancelled for " + one);
            assertTrue(cancelledEvent.size() >= 1);
            api.request("DELETE", "/v1/runs/" + two, null);
        }

        @Test
        void cronFunctionRunsOnTheScheduledTimerEventAndSchedulesTheNextFiring() {
            JsonNode first = api.awaitHourlyCronFirings(clock, "ls-hourly");
            assertEquals("inngest/scheduled.timer 0 * * * *", first.get("output").asText(), first.toString());
        }

        @Test
        void cancelOnTimeoutEndsTheWindowInWhichAnEventCancels() {
            String early = api.runOf(api.send("ls/window", Map.of("id", "early")));
            String late = api.runOf(api.send("ls/window", Map.of("id", "late")));
            for (String runId : List.of(early, late)) {
                Api.await(() -> api.run(runId).get("steps"), s -> s.size() == 1, "run " + runId + " to sleep");
            }

            api.send("ls/window-closed", Map.of("id", "early")); // within the 5 min: cancels
            assertEquals("Cancelled", api.run(early).get("status").asText(), api.run(early).toString());
            assertEquals("Running", api.run(late).get("status").asText());

            clock.advanceTo(clock.instant().plus(Duration.ofMinutes(5)).plusSeconds(1));
            api.send("ls/window-closed", Map.of("id", "late")); // 5 min 1 s after the run started: too late to cancel
            assertEquals("Running", api.run(late).get("status").asText(), "a cancel event after the timeout leaves the run alone");

            clock.advanceTo(clock.instant().plus(Duration.ofMinutes(1)).plusSeconds(1)); // past the 6 min sleep
            JsonNode run = api.awaitStatus(late, "Completed");
            assertEquals("kept", run.get("output").asText(), run.toString());
        }

        @Test
        void invokingParentCatchesTheChildsFailure() {
            JsonNode parent = api.awaitStatus(api.runOf(api.send("ls/catching-parent", Map.of())), "Completed");
            JsonNode child = Api.await(() -> api.get("/v1/runs?function=ls-failing-child").get("data"), d -> d.size() == 1,
                    "the child run").get(0);

            assertEquals("Failed", child.get("status").asText(), child.toString());
            assertEquals("caught call: NonRetriableError: no stock for x1", parent.get("output").asText(), parent.toString());
            JsonNode step = parent.get("steps").get(0);
            assertEquals("InvokeFunction", step.get("op").asText());
            assertEquals("failed", step.get("status").asText(), step.toString());
        }

        @Test
        void invokingParentGetsATimeoutErrorWhenTheChildTakesTooLong() {
            JsonNode parent = api.awaitStatus(api.runOf(api.send("ls/impatient-parent", Map.of())), "Completed");
            JsonNode child = Api.await(() -> api.get("/v1/runs?function=ls-slow-child").get("data"), d -> d.size() == 1,
                    "the child run").get(0);

            assertEquals("caught InngestInvokeTimeoutError: Timed out waiting for invoked function to complete",
                    parent.get("output").asText(), parent.toString());
            assertEquals("Running", child.get("status").asText(), "the child is still sleeping: " + child);
            api.request("DELETE", "/v1/runs/" + child.get("run_id").asText(), null);
        }
    }
}
