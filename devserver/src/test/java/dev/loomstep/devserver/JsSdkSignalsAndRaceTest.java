package dev.loomstep.devserver;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * The official JS SDK 4.24 ({@code testkit/js-peer}, app {@code e2e}) using signals, race mode and
 * {@code Promise.all} through the devserver: {@code step.waitForSignal} resumed by the signal API and by
 * the SDK's own {@code step.sendSignal}, its timeout, {@code group.parallel({mode: "race"})}, and a failing
 * branch failing the run at once. With the SDK's checkpointing on and off.
 */
class JsSdkSignalsAndRaceTest {

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
        final MovableClock clock = new MovableClock(Instant.parse("2030-01-01T00:10:00Z"));

        Scenarios(boolean checkpointing) {
            super(checkpointing);
        }

        @BeforeAll
        void start() throws Exception {
            startJs(Map.of(), false, b -> b.clock(clock));
            Api.await(() -> api.get("/v1/functions").get("data"), d -> d.findValuesAsText("id").contains("e2e-fail-fast"),
                    "the JS e2e functions to be synced");
        }

        private String waitingRun(String id, boolean quick) {
            String runId = api.runOf(api.send("e2e/signal-wait", Map.of("id", id, "quick", quick)));
            Api.await(() -> api.run(runId).get("steps"), s -> s.size() == 1, "JS run " + runId + " to wait for its signal");
            return runId;
        }

        @Test
        void jsWaitForSignalIsResumedByTheSignalApiWithTheSignalAndItsData() {
            String id = "api-" + checkpointing;
            String runId = waitingRun(id, false);
            Api.Response ok = api.request("POST", "/v1/signals", "{\"signal\":\"e2e/approve-" + id + "\",\"data\":{\"by\":\"curl\"}}");
            assertEquals(200, ok.status(), ok.text());
            assertEquals(runId, ok.json().get("data").get("run_id").asText());

            JsonNode got = api.awaitStatus(runId, "Completed").get("output").get("got");
            assertEquals("e2e/approve-" + id, got.get("signal").asText(), got.toString());
            assertEquals("curl", got.get("data").get("by").asText(), got.toString());
        }

        @Test
        void jsSendSignalStepResumesAJsWaiterAndGetsItsRunId() {
            String id = "step-" + checkpointing;
            String waiting = waitingRun(id, false);
            JsonNode sender = api.awaitStatus(api.runOf(api.send("e2e/signal-send", Map.of("id", id))), "Completed");

            assertEquals(waiting, sender.get("output").get("runId").asText(), sender.toString());
            assertEquals("js", api.awaitStatus(waiting, "Completed").get("output").get("got").get("data").get("by").asText());
            JsonNode nobody = api.awaitStatus(api.runOf(api.send("e2e/signal-send", Map.of("id", "nobody-" + id))), "Completed");
            assertEquals(true, nobody.get("output").get("runId").isNull(), "no waiter: the SDK gets no run id: " + nobody);
        }

        @Test
        void jsWaitForSignalTimesOutWithNull() {
            String runId = waitingRun("quick-" + checkpointing, true);
            assertEquals(true, api.awaitStatus(runId, "Completed").get("output").get("got").isNull());
        }

        @Test
        void aSecondJsWaiterOnTheSameSignalFails() {
            String id = "conflict-" + checkpointing;
            String first = waitingRun(id, false);
            JsonNode second = api.awaitStatus(api.runOf(api.send("e2e/signal-wait", Map.of("id", id))), "Failed");
            assertEquals("Signal conflict; signal wait already exists for another run", second.get("error").get("message").asText());
            api.request("DELETE", "/v1/runs/" + first, null);
        }

        @Test
        void jsRaceModeEndsWithTheFirstBranchToFinish() {
            JsonNode run = api.awaitStatus(api.runOf(api.send("e2e/race", Map.of())), "Completed");
            assertEquals("fast", run.get("output").get("winner").asText(), run.toString());
            assertEquals("won by fast", run.get("output").get("after").asText(), run.toString());
        }

        @Test
        void jsPromiseAllFailsTheRunAsSoonAsABranchFailedForGood() {
            JsonNode run = api.awaitStatus(api.runOf(api.send("e2e/fail-fast", Map.of())), "Failed");
            assertEquals("b is broken", run.get("error").get("message").asText(), run.toString());
        }
    }
}
