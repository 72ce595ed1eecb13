package dev.loomstep.devserver;

import static dev.loomstep.devserver.FakeSdk.done;
import static dev.loomstep.devserver.FakeSdk.ops;
import static dev.loomstep.devserver.FakeSdk.stepRun;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loomstep.devserver.executor.SdkCallEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Each SDK call shows up in a JFR recording with its phases, which the devserver load benchmark reads. */
@Timeout(30)
class SdkCallEventTest extends ScriptedDevServerTest {
    @Test
    void recordsEveryCallOfARunWithItsPhases() throws Exception {
        sdk.fn("slow").on("test/slow").handler(c -> {
            if (!c.has("a")) {
                Thread.sleep(30); // the SDK's own work is part of the HTTP round trip
                return ops(stepRun("a", 1));
            }
            return done(Map.of("a", c.data("a").asInt()));
        });
        sdk.sync(dev);
        Path file = Files.createTempFile("sdk-calls", ".jfr");
        String runId;
        try (var recording = new Recording()) {
            recording.enable(SdkCallEvent.NAME).withoutThreshold();
            recording.start();
            runId = api.runOf(api.send("test/slow", Map.of()));
            api.awaitStatus(runId, "Completed");
            recording.stop();
            recording.dump(file);
        }
        List<RecordedEvent> calls = RecordingFile.readAllEvents(file).stream()
                .filter(e -> e.getEventType().getName().equals(SdkCallEvent.NAME) && runId.equals(e.getString("runId")))
                .sorted(java.util.Comparator.comparing(RecordedEvent::getStartTime))
                .toList();
        Files.delete(file);
        assertEquals(2, calls.size(), "one event per call: the step, then the completion");
        for (RecordedEvent call : calls) {
            assertEquals("DISCOVER", call.getString("kind"));
            assertTrue(call.getDuration("prepare").toNanos() > 0 && call.getDuration("commit").toNanos() > 0, call.toString());
            Duration phases = call.getDuration("prepare").plus(call.getDuration("http")).plus(call.getDuration("commit"));
            assertTrue(phases.compareTo(call.getDuration()) <= 0, "the phases fit in the event: " + call);
        }
        assertTrue(calls.get(0).getDuration("http").toMillis() >= 30, "the SDK's 30 ms are in the round trip: " + calls.get(0));
    }
}
