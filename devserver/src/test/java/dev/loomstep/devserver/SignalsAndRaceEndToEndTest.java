package dev.loomstep.devserver;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Checkpointing;
import dev.loomstep.Function;
import dev.loomstep.Loomstep;
import dev.loomstep.NonRetriableException;
import dev.loomstep.Trigger;
import dev.loomstep.WaitForEvent;
import dev.loomstep.WaitForSignal;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * Signals, races and fail-fast parallel steps of real Loomstep functions (served by loomstep-undertow,
 * sending signals with loomstep-http's client) driven by the devserver over loopback HTTP, with the app's
 * checkpointing on and off.
 */
class SignalsAndRaceEndToEndTest {

    @Nested
    class WithCheckpointing extends Scenarios {
        WithCheckpointing() {
            super(Checkpointing.defaults());
        }
    }

    @Nested
    class WithoutCheckpointing extends Scenarios {
        WithoutCheckpointing() {
            super(Checkpointing.off());
        }
    }

    record Approval(String by) {}

    @Timeout(60)
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    abstract static class Scenarios {
        private final Checkpointing checkpointing;
        final MovableClock clock = new MovableClock(Instant.parse("2030-01-01T00:10:00Z"));
        final AtomicInteger a2Runs = new AtomicInteger();
        final AtomicInteger a1Ends = new AtomicInteger();
        /** Holds the race's slow step until the test saw the run complete without it. */
        final CountDownLatch raceCompleted = new CountDownLatch(1);
        /** Holds step a1 until the test saw b fail for good, so b's failure surely comes first. */
        final CountDownLatch bFailed = new CountDownLatch(1);
        DevServer dev;
        LoomstepDevServer fixture;
        Loomstep app;
        Api api;

        Scenarios(Checkpointing checkpointing) {
            this.checkpointing = checkpointing;
        }

        @BeforeAll
        void start() throws Exception {
            var waits = Function.builder("waits").trigger(Trigger.event("ls/waits")).handler((in, step) -> {
                String id = in.data().path("id").asText();
                Duration timeout = in.data().path("quick").asBoolean() ? Duration.ofMillis(200) : Duration.ofMinutes(1);
                WaitForSignal options = WaitForSignal.of("ls/approve-" + id).timeout(timeout);
                Optional<Approval> got = step.waitForSignal("approval", Approval.class,
                        in.data().path("replace").asBoolean() ? options.replaceOnConflict() : options);
                return got.map(a -> "approved by " + a.by()).orElse("timed out");
            });
            var tells = Function.builder("tells").trigger(Trigger.event("ls/tells")).handler((in, step) ->
                    step.sendSignal("tell", "ls/approve-" + in.data().path("id").asText(), new Approval("a step")).orElse("nobody"));
            var races = Function.builder("races").trigger(Trigger.event("ls/races")).handler((in, step) -> step.race(
                    List.<Callable<String>>of(
                            () -> {
                                step.sleep("short", Duration.ofMillis(200));
                                return "timer";
                            },
                            () -> step.waitForEvent("approval", WaitForEvent.of("ls/never").timeout(Duration.ofMinutes(1)))
                                    .map(e -> "event").orElse("no event"))));
            var timesOut = Function.builder("times-out").trigger(Trigger.event("ls/times-out")).handler((in, step) -> step.race(
                    List.<Callable<String>>of(
                            () -> step.run("slow", String.class, () -> {
                                raceCompleted.await(20, TimeUnit.SECONDS);
                                return "slow";
                            }),
                            () -> {
                                step.sleep("deadline", Duration.ofMillis(200));
                                return "timed out";
                            })));
            var failsFast = Function.builder("fails-fast").trigger(Trigger.event("ls/fails-fast")).retries(0).handler((in, step) ->
                    step.parallel(List.<Callable<Integer>>of(
                            () -> {
                                int x = step.run("a1", Integer.class, () -> {
                                    if (!fanOutInCall()) {
                                        bFailed.await(20, TimeUnit.SECONDS);
                                    }
                                    a1Ends.incrementAndGet();
                                    return 1;
                                });
                                return step.run("a2", Integer.class, () -> a2Runs.incrementAndGet() + x);
                            },
                            () -> step.run("b", Integer.class, () -> {
                                throw new NonRetriableException("b is broken");
                            }))));
            fixture = LoomstepDevServer.builder("ls").devserver(b -> b.clock(clock)).app(b -> b.checkpointing(checkpointing))
                    .start(waits, tells, races, timesOut, failsFast);
            dev = fixture.dev;
            api = fixture.api;
            app = fixture.app;
        }

        @AfterAll
        void stop() {
            if (fixture != null) {
                fixture.close();
            }
        }

        private String waitingRun(String id, Map<String, Object> more) {
            var data = new java.util.HashMap<String, Object>(more);
            data.put("id", id);
            String runId = api.runOf(api.send("ls/waits", data));
            Api.await(() -> api.run(runId).get("steps"), s -> s.size() == 1, "run " + runId + " to wait for its signal");
            return runId;
        }

        @Test
        void appSendSignalResumesTheWaitingRunWithItsData() {
            String id = "app-" + checkpointing.enabled();
            String runId = waitingRun(id, Map.of());

            assertEquals(Optional.of(runId), app.sendSignal("ls/approve-" + id, new Approval("ada")));
            JsonNode run = api.awaitStatus(runId, "Completed");
            assertEquals("approved by ada", run.get("output").asText(), run.toString());
            assertEquals("WaitForSignal", run.get("steps").get(0).get("op").asText(), run.toString());
            assertEquals(Optional.empty(), app.sendSignal("ls/approve-" + id, new Approval("late")), "nobody waits any more");
        }

        @Test
        void waitForSignalTimesOutEmpty() {
            String runId = waitingRun("quick-" + checkpointing.enabled(), Map.of("quick", true));
            assertEquals("timed out", api.awaitStatus(runId, "Completed").get("output").asText());
        }

        @Test
        void aSendSignalStepResumesAnotherRun() {
            String id = "step-" + checkpointing.enabled();
            String waiting = waitingRun(id, Map.of());
            JsonNode sender = api.awaitStatus(api.runOf(api.send("ls/tells", Map.of("id", id))), "Completed");

            assertEquals(waiting, sender.get("output").asText(), sender.toString());
            assertEquals("approved by a step", api.awaitStatus(waiting, "Completed").get("output").asText());
            JsonNode nobody = api.awaitStatus(api.runOf(api.send("ls/tells", Map.of("id", "nobody-" + id))), "Completed");
            assertEquals("nobody", nobody.get("output").asText(), "a signal nobody waits for is dropped, not an error");
        }

        @Test
        void aSecondRunWaitingOnTheSameSignalFailsUnlessItReplacesTheFirst() {
            String id = "conflict-" + checkpointing.enabled();
            String first = waitingRun(id, Map.of());
            JsonNode second = api.awaitStatus(api.runOf(api.send("ls/waits", Map.of("id", id))), "Failed");
            assertEquals("Signal conflict; signal wait already exists for another run", second.get("error").get("message").asText(),
                    second.toString());

            String third = waitingRun(id, Map.of("replace", true));
            assertEquals(Optional.of(third), app.sendSignal("ls/approve-" + id, new Approval("bob")));
            assertEquals("approved by bob", api.awaitStatus(third, "Completed").get("output").asText());
            assertEquals("Running", api.run(first).get("status").asText(), "the replaced wait is left to time out");
            api.request("DELETE", "/v1/runs/" + first, null);
        }

        @Test
        void theSignalApiAnswersAsInngestDoes() {
            Api.Response none = api.request("POST", "/v1/signals", "{\"signal\":\"ls/nobody-waits\",\"data\":{}}");
            assertEquals(404, none.status(), none.text());
            assertEquals("No signal found", none.json().get("error").asText());
            Api.Response bad = api.request("POST", "/v1/signals", "{\"data\":{}}");
            assertEquals(400, bad.status(), bad.text());

            String id = "api-" + checkpointing.enabled();
            String runId = waitingRun(id, Map.of());
            Api.Response ok = api.request("POST", "/v1/signals", "{\"signal\":\"ls/approve-" + id + "\",\"data\":{\"by\":\"curl\"}}");
            assertEquals(200, ok.status(), ok.text());
            assertEquals(runId, ok.json().get("data").get("run_id").asText());
            assertEquals("approved by curl", api.awaitStatus(runId, "Completed").get("output").asText());
        }

        @Test
        void aRaceEndsWithTheFirstBranchToFinish() {
            JsonNode run = api.awaitStatus(api.runOf(api.send("ls/races", Map.of())), "Completed");
            assertEquals("timer", run.get("output").asText(), run.toString());
        }

        @Test
        void aRaceGoesOnWhenItsFirstBranchEndsWhileAnotherBranchsStepStillRuns() {
            String runId = api.runOf(api.send("ls/times-out", Map.of()));
            JsonNode run = api.awaitStatus(runId, "Completed");
            raceCompleted.countDown();
            assertEquals("timed out", run.get("output").asText(), run.toString());
        }

        /** Whether the app runs a fan-out's branch steps side by side in one call (then b's failure is reported with a1's end). */
        boolean fanOutInCall() {
            return checkpointing.enabled() && checkpointing.parallelSteps() > 0;
        }

        @Test
        void aParallelBranchFailingForGoodFailsTheRunWithoutRunningItsSiblingsNextStep() {
            String runId = api.runOf(api.send("ls/fails-fast", Map.of()));
            if (!fanOutInCall()) {
                // Like Inngest, the devserver calls again once the parallel steps in flight (a1) have ended.
                Api.await(() -> api.run(runId).get("steps"), s -> s.findValuesAsText("status").contains("failed"), "b to fail for good");
                bFailed.countDown();
            }
            JsonNode run = api.awaitStatus(runId, "Failed");
            assertEquals("b is broken", run.get("error").get("message").asText(), run.toString());
            assertEquals(1, a1Ends.get());
            assertEquals(0, a2Runs.get(), "the other branch's next step must not run: " + run);
            var names = new java.util.ArrayList<String>();
            run.get("steps").forEach(step -> names.add(step.get("name").asText()));
            if (fanOutInCall()) {
                // The call that ran both bodies side by side checkpointed a1, then answered b's failure.
                assertEquals(java.util.Set.of("b", "a1"), java.util.Set.copyOf(names), "a2 was never planned: " + run);
                assertEquals(2, names.size(), run.toString());
            } else {
                assertEquals(List.of("b", "a1"), names, "a2 was never planned: " + run);
            }
        }
    }
}
