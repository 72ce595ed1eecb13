package dev.loomstep.test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loomstep.Event;
import dev.loomstep.Function;
import dev.loomstep.Loomstep;
import dev.loomstep.Trigger;
import dev.loomstep.WaitForEvent;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The extension on a real embedded devserver: send, awaitRun, awaitStep, advanceTime, cancel, reset. */
@Timeout(60)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LoomstepExtensionTest {
    static final Function<Map<String, Object>, String> REMIND = Function.builder("remind").trigger(Trigger.event("t/signup"))
            .handler(new com.fasterxml.jackson.core.type.TypeReference<Map<String, Object>>() {}, (input, step) -> {
                step.run("welcome", String.class, () -> "hi");
                var login = step.waitForEvent("first-login", WaitForEvent.of("t/login").timeout(Duration.ofHours(72))
                        .ifExpression("event.data.user == async.data.user"));
                return login.isPresent() ? "logged in" : step.run("nudge", String.class, () -> "nudged");
            });

    @RegisterExtension
    static LoomstepExtension loomstep = LoomstepExtension.app(() -> Loomstep.builder("ext-test").functions(REMIND));

    @Test
    @Order(1)
    void movingTheDevserversClockPastATimeoutTakesTheTimeoutBranch(DevHandle dev) {
        String eventId = dev.send(Event.of("t/signup", Map.of("user", "u_1")));
        dev.awaitStep(eventId, "first-login");
        dev.advanceTime(Duration.ofHours(73));
        DevRun run = dev.awaitRun(eventId);

        assertEquals("Completed", run.status(), run.toString());
        assertEquals("nudged", run.output(String.class));
        assertEquals(List.of("welcome", "first-login", "nudge"), run.completedSteps());
    }

    @Test
    @Order(2)
    void aMatchingEventResumesTheWaitAndTheDevserverWasResetBeforeThisTest(DevHandle dev) {
        assertEquals(0, dev.runs().size(), "runs of the previous test survived the reset: " + dev.runs());
        String eventId = dev.send(Event.of("t/signup", Map.of("user", "u_2")));
        dev.awaitStep(eventId, "first-login");
        dev.send(Event.of("t/login", Map.of("user", "u_2")));
        DevRun run = dev.awaitRun(eventId);

        assertEquals("logged in", run.output(String.class), run.toString());
        assertEquals(List.of("welcome", "first-login"), run.completedSteps());
    }

    @Test
    @Order(3)
    void cancelEndsAWaitingRun(DevHandle dev) {
        String eventId = dev.send(Event.of("t/signup", Map.of("user", "u_3")));
        DevRun waiting = dev.awaitStep(eventId, "first-login");
        dev.cancel(waiting.runId());
        DevRun run = dev.awaitRun(eventId);
        assertEquals("Cancelled", run.status(), run.toString());
        assertTrue(run.completedSteps().contains("welcome"));
    }
}
