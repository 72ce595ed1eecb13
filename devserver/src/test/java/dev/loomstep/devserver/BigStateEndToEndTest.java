package dev.loomstep.devserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Checkpointing;
import dev.loomstep.Function;
import dev.loomstep.Trigger;
import dev.loomstep.http.ServeOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Inngest's size limits through the devserver for a real Loomstep app, with checkpointing on and off: a
 * 4 MiB step output and a 32 MiB run state complete (the app refuses request bodies over 5 MiB, so the
 * run can only finish if the devserver switched to {@code use_api} and the SDK fetched its state from
 * {@code /v0/runs/{id}/actions}); past those limits the step, or the run, fails with one clear line.
 */
@Timeout(400)
class BigStateEndToEndTest {
    /** A step output just under 4 MiB as JSON (a string of this many ASCII characters, plus its quotes). */
    static final int CHUNK = 4 * 1024 * 1024 - 1024;
    static DevServer dev;
    static LoomstepDevServer fixture;
    static Api api;

    @BeforeAll
    static void start() throws Exception {
        var functions = new ArrayList<Function<?, ?>>();
        for (var mode : List.of(Map.entry("on", Checkpointing.defaults()), Map.entry("off", Checkpointing.off()))) {
            functions.add(Function.builder("hoard-" + mode.getKey()).retries(0).checkpointing(mode.getValue())
                    .trigger(Trigger.event("big/hoard-" + mode.getKey())).handler((in, step) -> {
                        long total = 0;
                        for (int i = 0; i < in.data().path("chunks").asInt(); i++) {
                            int n = i;
                            total += step.run("chunk-" + i, String.class, () -> String.valueOf((char) ('a' + n)).repeat(CHUNK)).length();
                        }
                        return total;
                    }));
            functions.add(Function.builder("too-big-" + mode.getKey()).retries(0).checkpointing(mode.getValue())
                    .trigger(Trigger.event("big/too-big-" + mode.getKey())).handler((in, step) ->
                            step.run("blob", String.class, () -> "x".repeat(4 * 1024 * 1024)).length()));
        }
        fixture = LoomstepDevServer.builder("big").serve(b -> b.options(ServeOptions.defaults().maxBodyBytes(5L << 20)))
                .start(functions);
        dev = fixture.dev;
        api = fixture.api;
    }

    @AfterAll
    static void stop() {
        if (fixture != null) {
            fixture.close();
        }
    }

    /**
     * Polls the run until it ends (runs with tens of MiB of state take longer than {@link Api#await} waits on
     * a busy machine); on a mismatch, says what it saw without the megabytes of step output.
     */
    static JsonNode awaitEnd(String runId, String status) {
        return api.awaitEnd(runId, status, Duration.ofSeconds(150), "run");
    }

    @Test
    void eightStepsOfNearly4MiBMakeA32MiBStateThatCompletesThroughUseApi() {
        for (String mode : List.of("on", "off")) {
            JsonNode run = awaitEnd(api.runOf(api.send("big/hoard-" + mode, Map.of("chunks", 8))), "Completed");
            assertEquals(8L * CHUNK, run.get("output").asLong(), "checkpointing " + mode);
            assertEquals(8, run.get("steps").size(), "checkpointing " + mode);
        }
    }

    @Test
    void aNinthStepTakesTheStateOver32MiBAndTheRunFailsWithOneClearLine() {
        for (String mode : List.of("on", "off")) {
            JsonNode run = awaitEnd(api.runOf(api.send("big/hoard-" + mode, Map.of("chunks", 9))), "Failed");
            JsonNode error = run.get("error");
            assertEquals("InngestErrStateOverflowed", error.get("name").asText(), "checkpointing " + mode + ": " + error);
            assertTrue(error.get("message").asText().startsWith("The function run exceeded the state size limit of 33554432 bytes"),
                    error.toString());
        }
    }

    @Test
    void aStepOutputOver4MiBFailsTheStepWithOneClearLine() {
        for (String mode : List.of("on", "off")) {
            JsonNode run = awaitEnd(api.runOf(api.send("big/too-big-" + mode, Map.of())), "Failed");
            JsonNode step = run.get("steps").get(0);
            assertEquals("failed", step.get("status").asText(), "checkpointing " + mode + ": " + step);
            assertEquals("StepOutputTooLarge", step.get("error").get("name").asText(), step.toString());
            assertEquals("the output of step \"blob\" is 4194306 bytes, over Inngest's limit of 4194304 bytes (4 MiB) per step; "
                    + "store large data outside the run and return a reference to it", step.get("error").get("message").asText());
            assertTrue(run.get("error").get("message").asText().contains("over Inngest's limit"), run.get("error").toString());
        }
    }
}
