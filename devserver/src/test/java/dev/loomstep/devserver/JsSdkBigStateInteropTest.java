package dev.loomstep.devserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * Inngest's size limits through the devserver for the official JS SDK (npm inngest 4.24.0, js-peer app
 * {@code e2e}), with its checkpointing on and off: a 32 MiB state completes (sent with {@code use_api}: the
 * SDK fetches it from {@code /v0/runs/{id}/actions}), a ninth step overflows it and a step over 4 MiB fails,
 * each with one clear line.
 */
class JsSdkBigStateInteropTest {
    static final long CHUNK = 4 * 1024 * 1024 - 1024;

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

    @Timeout(300)
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    abstract static class Scenarios extends JsPeerScenarios {

        Scenarios(boolean checkpointing) {
            super(checkpointing);
        }

        @BeforeAll
        void start() throws Exception {
            startJs(Map.of(), false, b -> b);
            Api.await(() -> api.get("/v1/functions").get("data"), d -> d.size() >= 4, "the JS e2e functions to be synced");
        }

        /** Polls until the run ends (tens of MiB take a while); on a mismatch, says what it saw without the data. */
        JsonNode awaitEnd(String runId, String status) {
            return api.awaitEnd(runId, status, Duration.ofSeconds(150), "JS run (checkpointing " + checkpointing + ")");
        }

        @Test
        void jsSdkRunWithA32MiBStateCompletesThroughUseApi() {
            JsonNode run = awaitEnd(api.runOf(api.send("e2e/hoard", Map.of("chunks", 8))), "Completed");
            assertEquals(8 * CHUNK, run.get("output").asLong());
            assertEquals(8, run.get("steps").size());
        }

        @Test
        void jsSdkNinthStepOverflowsTheStateAndTheRunFailsWithOneClearLine() {
            JsonNode error = awaitEnd(api.runOf(api.send("e2e/hoard", Map.of("chunks", 9))), "Failed").get("error");
            assertEquals("InngestErrStateOverflowed", error.get("name").asText(), error.toString());
            assertTrue(error.get("message").asText().startsWith("The function run exceeded the state size limit of 33554432 bytes"),
                    error.toString());
        }

        @Test
        void jsSdkStepOutputOver4MiBFailsTheStepWithOneClearLine() {
            JsonNode run = awaitEnd(api.runOf(api.send("e2e/too-big", Map.of())), "Failed");
            JsonNode step = run.get("steps").get(0);
            assertEquals("StepOutputTooLarge", step.get("error").get("name").asText(), step.get("error").toString());
            assertEquals("the output of step \"blob\" is 4194306 bytes, over Inngest's limit of 4194304 bytes (4 MiB) per step; "
                    + "store large data outside the run and return a reference to it", step.get("error").get("message").asText());
        }
    }
}
