package dev.loomstep.devserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.testkit.JsPeer;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * The devserver drives the official Inngest JS SDK (npm inngest 4.24.0, {@code testkit/js-peer}) as the
 * Inngest dev server would: synced with {@code -u}, events through {@code /e/{key}}, every op the SDK
 * sends. Every scenario runs twice: with the SDK's checkpointing on (JS 4.x's default: it runs steps back
 * to back within one call and reports them to {@code POST /v1/checkpoint/{runId}/async}) and off
 * ({@code checkpointing: false}: one call per step). Skipped (with the reason) only when Node or the
 * peer's node_modules are missing ({@link JsPeer#start} fails instead under
 * {@code -Dloomstep.requirePeer=true}, as {@code ./loom test} sets).
 */
class JsSdkInteropTest {

    @Nested
    class WithCheckpointing extends Scenarios {
        WithCheckpointing() {
            super(true);
        }
    }

    @Nested
    class WithoutCheckpointing extends Scenarios {
        WithoutCheckpointing() {
            super(false);
        }
    }

    @Timeout(60)
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    abstract static class Scenarios extends JsPeerScenarios {
        /** The devserver's clock: 2030-01-01T00:10Z, ticking; the cron test moves it to the next hours. */
        final MovableClock clock = new MovableClock(Instant.parse("2030-01-01T00:10:00Z"));

        Scenarios(boolean checkpointing) {
            super(checkpointing);
        }

        @BeforeAll
        void start() throws Exception {
            startJs(Map.of(), true, b -> b.clock(clock));
            Api.await(() -> api.get("/v1/apps").get("data"), d -> d.size() == 2, "both JS apps to be synced by -u");
            Api.await(() -> api.get("/v1/functions").get("data"), d -> d.size() >= 25, "the JS functions to be synced");
        }

        @Test
        void jsSdkCheckpointsSequentialStepsExactlyWhenItsCheckpointingIsOn() {
            long before = api.get("/dev").get("checkpoints").get("committed_steps").asLong();
            JsonNode run = api.awaitStatus(api.runOf(api.send("peer/seq", Map.of())), "Completed");

            JsonNode stats = api.get("/dev").get("checkpoints");
            if (checkpointing) {
                // a and b run in the first call, a:1 in the call after the sleep: each reported as it ran.
                assertEquals(before + 3, stats.get("committed_steps").asLong(), stats + " " + run);
            } else {
                assertEquals(0, stats.get("accepted").asLong(), "no checkpoint with checkpointing: false: " + stats);
            }
            assertEquals(0, stats.get("refused").asLong(), stats.toString());
            assertEquals(List.of("completed", "completed", "completed", "completed"),
                    run.get("steps").findValuesAsText("status"), run.toString());
        }

        @Test
        void jsSdkRunsStepsASleepAndARepeatedStepId() {
            JsonNode run = api.awaitStatus(api.runOf(api.send("peer/seq", Map.of())), "Completed");

            assertEquals(6, run.get("output").get("sum").asInt(), run.toString());
            JsonNode steps = run.get("steps");
            assertEquals(4, steps.size(), steps.toString());
            assertEquals("Sleep", steps.get(2).get("op").asText());
            assertEquals(3, steps.get(3).get("output").asInt(), "the repeat of step a ran as a:1");
        }

        @Test
        void jsSdkFansOutWithPromiseAll() {
            JsonNode run = api.awaitStatus(api.runOf(api.send("peer/fanout", Map.of())), "Completed");

            assertEquals(6, run.get("output").get("sum").asInt(), run.toString());
            assertEquals(3, run.get("steps").size());
        }

        @Test
        void jsSdkWaitsForAMatchingEvent() {
            String runId = api.runOf(api.send("peer/wait", Map.of("id", 5)));
            Api.await(() -> api.run(runId).get("steps"), s -> s.size() == 1, "the JS run to wait");
            api.send("peer/approve", Map.of("id", 4));
            String approval = api.send("peer/approve", Map.of("id", 5));

            JsonNode run = api.awaitStatus(runId, "Completed");

            assertEquals(approval, run.get("output").get("got").get("id").asText(), run.toString());
        }

        @Test
        void jsSdkInvokesAnotherFunction() {
            JsonNode run = api.awaitStatus(api.runOf(api.send("peer/invoke", Map.of())), "Completed");

            assertEquals(42, run.get("output").get("result").get("doubled").asInt(), run.toString());
        }

        @Test
        void jsSdkSendsEventsThroughTheEventApi() {
            JsonNode run = api.awaitStatus(api.runOf(api.send("peer/send", Map.of())), "Completed");

            JsonNode ids = run.get("output").get("two").get("ids");
            assertEquals(2, ids.size(), run.toString());
            assertEquals("peer/sent", api.get("/v1/events/" + ids.get(0).asText()).get("data").get("name").asText());
        }

        @Test
        void jsSdkStepErrorsAreRetriedThenFailTheRun() {
            JsonNode run = api.awaitStatus(api.runOf(api.send("peer/throws", Map.of())), "Failed");

            assertEquals("kaput", run.get("error").get("message").asText(), run.toString());
            assertEquals(3, run.get("steps").get(0).get("attempts").asInt(), "retries: 2 means three attempts");
        }

        @Test
        void jsSdkCatchesAMemoizedStepErrorAndGoesOn() {
            JsonNode run = api.awaitStatus(api.runOf(api.send("peer/catches", Map.of())), "Completed");

            assertTrue(run.get("output").get("caught").asBoolean(), run.toString());
            assertEquals("recovered", run.get("output").get("after").asText());
        }

        @Test
        void jsSdkFunctionErrorsAreRetriedOrFailAtOnce() {
            String retried = api.runOf(api.send("peer/fn-throws", Map.of()));
            String final_ = api.runOf(api.send("peer/fn-nonretriable", Map.of()));

            assertEquals("function kaput", api.awaitStatus(retried, "Failed").get("error").get("message").asText());
            assertEquals("function no way", api.awaitStatus(final_, "Failed").get("error").get("message").asText());
        }

        @Test
        void jsSdkTriggerExpressionsDecideWhichEventsStartRuns() {
            String yes = api.send("peer/configured", Map.of("ok", true, "id", 1));
            String no = api.send("peer/configured", Map.of("ok", false, "id", 2));

            assertEquals("ran", api.awaitStatus(api.runOf(yes), "Completed").get("output").asText());
            assertEquals(0, api.get("/v1/events/" + no + "/runs").get("data").size());
        }

        @Test
        void jsSdkFansOutAHundredParallelSteps() {
            JsonNode run = api.awaitStatus(api.runOf(api.send("e2e/fanout-100", Map.of())), "Completed");

            assertEquals(4950, run.get("output").get("sum").asInt(), run.toString());
            assertEquals(100, run.get("output").get("count").asInt());
            assertEquals(100, run.get("steps").size());
        }

        @Test
        void jsSdkWaitForEventTimesOutWithNull() {
            JsonNode run = api.awaitStatus(api.runOf(api.send("e2e/wait-quick", Map.of())), "Completed");

            assertTrue(run.get("output").has("got"), run.toString());
            assertTrue(run.get("output").get("got").isNull(), "a timed-out wait gives the function null: " + run);
            assertEquals("WaitForEvent", run.get("steps").get(0).get("op").asText());
        }

        @Test
        void jsSdkStepIsRetriedUntilItSucceeds() {
            JsonNode run = api.awaitStatus(api.runOf(api.send("e2e/flaky", Map.of())), "Completed");

            assertEquals("fine on attempt 2", run.get("output").get("out").asText(), run.toString());
            assertEquals(3, run.get("steps").get(0).get("attempts").asInt());
        }

        @Test
        void jsSdkNonRetriableStepErrorFailsTheRunAtTheFirstAttempt() {
            JsonNode run = api.awaitStatus(api.runOf(api.send("peer/throws-nonretriable", Map.of())), "Failed");

            assertEquals("no way", run.get("error").get("message").asText(), run.toString());
            assertEquals("NonRetriableError", run.get("error").get("name").asText());
            assertEquals(1, run.get("steps").get(0).get("attempts").asInt(), "retries: 2, but not tried again");
        }

        @Test
        void jsSdkRunsTheOnFailureHandlerWhenRetriesRunOut() {
            String runId = api.runOf(api.send("e2e/doomed", Map.of()));
            JsonNode run = api.awaitStatus(runId, "Failed");
            JsonNode handler = Api.await(() -> api.get("/v1/runs?function=e2e-doomed-failure&status=Completed").get("data"),
                    d -> d.size() == 1, "the JS onFailure run").get(0);

            assertEquals("always", run.get("error").get("message").asText(), run.toString());
            assertEquals(2, run.get("steps").get(0).get("attempts").asInt(), "retries: 1 means two attempts");
            assertEquals("always", handler.get("output").get("handled").asText(), handler.toString());
            assertEquals("e2e-doomed", handler.get("output").get("failed").asText());
            JsonNode failedEvent = api.get("/v1/events/" + api.run(handler.get("run_id").asText()).get("event_id").asText()).get("data");
            assertEquals("inngest/function.failed", failedEvent.get("name").asText());
            assertEquals(runId, failedEvent.get("data").get("run_id").asText());
        }

        @Test
        void jsSdkRunIsCancelledThroughTheRestApi() {
            String runId = api.runOf(api.send("e2e/cancellable", Map.of("id", "rest")));
            Api.await(() -> api.run(runId).get("steps"), s -> s.size() == 1, "the JS run to sleep");

            assertEquals(200, api.request("DELETE", "/v1/runs/" + runId, null).status());

            JsonNode run = api.run(runId);
            assertEquals("Cancelled", run.get("status").asText(), run.toString());
            assertEquals("cancelled through the REST API", run.get("error").get("message").asText());
            assertEquals(1, run.get("steps").size(), "the sleep never ended: " + run);
            assertTrue(run.get("output").isNull(), run.toString());
        }

        @Test
        void jsSdkCancelOnCancelsOnlyTheRunTheEventMatches() {
            String one = api.runOf(api.send("e2e/cancellable", Map.of("id", 1)));
            String two = api.runOf(api.send("e2e/cancellable", Map.of("id", 2)));
            for (String runId : List.of(one, two)) {
                Api.await(() -> api.run(runId).get("steps"), s -> s.size() == 1, "JS run " + runId + " to sleep");
            }

            api.send("e2e/cancel", Map.of("id", 3)); // matches neither: events are acted on before /e answers
            assertEquals("Running", api.run(one).get("status").asText());
            assertEquals("Running", api.run(two).get("status").asText());
            String cancel = api.send("e2e/cancel", Map.of("id", 1));

            JsonNode cancelled = api.run(one);
            assertEquals("Cancelled", cancelled.get("status").asText(), cancelled.toString());
            assertTrue(cancelled.get("error").get("message").asText().contains(cancel), cancelled.toString());
            assertEquals("Running", api.run(two).get("status").asText(), "a cancel event for id 1 leaves id 2 alone");
            api.request("DELETE", "/v1/runs/" + two, null);
        }

        @Test
        void jsSdkCronFunctionRunsOnTheScheduledTimerEventEachHour() {
            JsonNode first = api.awaitHourlyCronFirings(clock, "e2e-hourly");
            assertEquals("inngest/scheduled.timer", first.get("output").get("name").asText(), first.toString());
            assertEquals("0 * * * *", first.get("output").get("cron").asText());
        }

        @Test
        void jsSdkParentCatchesTheErrorOfAFailingInvokedChild() {
            JsonNode parent = api.awaitStatus(api.runOf(api.send("e2e/catching-parent", Map.of())), "Completed");
            JsonNode child = Api.await(() -> api.get("/v1/runs?function=e2e-failing-child").get("data"), d -> d.size() == 1,
                    "the JS child run").get(0);

            assertEquals("Failed", child.get("status").asText(), child.toString());
            JsonNode out = parent.get("output");
            assertTrue(out.path("caught").asBoolean(), parent.toString());
            assertEquals("no stock for x1", out.get("message").asText(), parent.toString());
            assertEquals("NonRetriableError", out.get("name").asText(), parent.toString());
            assertEquals("failed", parent.get("steps").get(0).get("status").asText(), parent.toString());
        }

        @Test
        void jsSdkParentGetsTheInvokeTimeoutErrorWhenTheChildTakesTooLong() {
            JsonNode parent = api.awaitStatus(api.runOf(api.send("e2e/impatient-parent", Map.of())), "Completed");
            JsonNode child = Api.await(() -> api.get("/v1/runs?function=e2e-slow-child").get("data"), d -> d.size() == 1,
                    "the JS child run").get(0);

            JsonNode out = parent.get("output");
            assertTrue(out.path("caught").asBoolean(), parent.toString());
            assertEquals("Timed out waiting for invoked function to complete", out.get("message").asText(), parent.toString());
            assertEquals("InngestInvokeTimeoutError", out.get("name").asText(), parent.toString());
            assertEquals("Running", child.get("status").asText(), "the child is still sleeping: " + child);
            api.request("DELETE", "/v1/runs/" + child.get("run_id").asText(), null);
        }
    }
}
