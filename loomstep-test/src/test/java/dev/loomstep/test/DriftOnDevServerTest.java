package dev.loomstep.test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Event;
import dev.loomstep.Function;
import dev.loomstep.FunctionHandler;
import dev.loomstep.Loomstep;
import dev.loomstep.Step;
import dev.loomstep.Trigger;
import dev.loomstep.WaitForEvent;
import dev.loomstep.protocol.StepIds;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The engine's run-time WARN on a real devserver: a run waiting for an event while its function is
 * "redeployed" (the handler swapped) says once that its recorded steps no longer fit, over all the
 * calls that finish it; a redeploy that only adds a step after says nothing. The app's log is
 * slf4j-simple's standard error here, read for the duration of each test.
 */
@Timeout(60)
class DriftOnDevServerTest {
    static final String DRIFT = "does not fit its function's current code";
    static final AtomicReference<FunctionHandler<JsonNode, Object>> DEPLOYED = new AtomicReference<>();

    @RegisterExtension
    static LoomstepExtension loomstep = LoomstepExtension.app(() -> Loomstep.builder("shop").functions(
            Function.builder("fulfil").trigger(Trigger.event("shop/order.reserved"))
                    .handler((FunctionHandler<JsonNode, Object>) (in, step) -> DEPLOYED.get().handle(in, step))));

    static Object v1(Step step, String reserveId) {
        step.run(reserveId, String.class, () -> "held");
        step.waitForEvent("paid", WaitForEvent.of("shop/order.paid").timeout(Duration.ofDays(1)));
        return step.run("ship", String.class, () -> "shipped");
    }

    final ByteArrayOutputStream log = new ByteArrayOutputStream();
    PrintStream savedErr;

    @BeforeEach
    void teeStandardError() {
        savedErr = System.err;
        PrintStream original = savedErr;
        System.setErr(new PrintStream(new OutputStream() {
            @Override
            public synchronized void write(int b) {
                log.write(b);
                original.write(b);
            }

            @Override
            public synchronized void write(byte[] b, int off, int len) {
                log.write(b, off, len);
                original.write(b, off, len);
            }
        }, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restoreStandardError() {
        System.setErr(savedErr);
    }

    List<String> driftLines() {
        return log.toString(StandardCharsets.UTF_8).lines().filter(l -> l.contains(DRIFT)).toList();
    }

    String runWaitingThenRedeployed(DevHandle dev, FunctionHandler<JsonNode, Object> redeployed) {
        DEPLOYED.set((in, step) -> v1(step, "reserve"));
        String eventId = dev.send(Event.of("shop/order.reserved", Map.of("order", "o_1")));
        String runId = dev.awaitStep(eventId, "paid").runId();
        DEPLOYED.set(redeployed);
        dev.send(Event.of("shop/order.paid", Map.of("order", "o_1")));
        DevRun run = dev.awaitRun(eventId);
        assertEquals("Completed", run.status(), run.toString());
        return runId;
    }

    @Test
    void aStepRenamedWhileTheRunWaitedIsOneWarningForTheWholeRun(DevHandle dev) {
        String runId = runWaitingThenRedeployed(dev, (in, step) -> v1(step, "reserve-stock"));
        List<String> lines = driftLines();
        assertEquals(1, lines.size(), "one WARN over the run's calls: " + lines);
        // How many recorded steps it names depends on how far the call got (with checkpoints it runs on past the new step).
        assertTrue(lines.get(0).contains("WARN dev.loomstep.run - run " + runId + " of shop-fulfil " + DRIFT + ": "), lines.get(0));
        assertTrue(lines.get(0).contains(StepIds.hash("reserve", 0)), "names the unused step's id: " + lines.get(0));
    }

    @Test
    void aStepAddedAfterTheRecordedOnesSaysNothing(DevHandle dev) {
        runWaitingThenRedeployed(dev, (in, step) -> {
            Object out = v1(step, "reserve");
            step.run("send-receipt", String.class, () -> "sent");
            return out;
        });
        assertEquals(List.of(), driftLines());
    }
}
