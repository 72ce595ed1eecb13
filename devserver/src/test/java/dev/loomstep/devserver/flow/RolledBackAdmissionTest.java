package dev.loomstep.devserver.flow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.loomstep.Event;
import dev.loomstep.devserver.flow.FlowControl.Admission;
import dev.loomstep.devserver.store.FunctionRecord;
import dev.loomstep.devserver.store.Store;
import dev.loomstep.flow.RateLimit;
import dev.loomstep.flow.Throttle;
import dev.loomstep.protocol.Json;
import dev.loomstep.protocol.SyncRequest.FunctionConfig;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * An event is admitted inside the unit of work that saves it; when that unit rolls back, the event was
 * never accepted (its sender gets an error and retries), so the rate-limit or throttle slot the
 * admission took in memory must be free again for the retry.
 */
class RolledBackAdmissionTest {
    final ManualClock clock = new ManualClock("2024-03-01T12:00:00Z");
    final Store store = Store.inMemory();
    final ConfiguredFlowControl flow = new ConfiguredFlowControl(clock);

    RolledBackAdmissionTest() {
        flow.attach((fn, events) -> "run", (runId, reason) -> false, store);
    }

    @AfterEach
    void close() {
        flow.close();
        store.close();
    }

    static FunctionRecord fn(RateLimit rateLimit, Throttle throttle) {
        var config = new FunctionConfig("app-f", "f", List.of(), Map.of(), null, rateLimit, throttle, null, null, null,
                null, null, null, null);
        return new FunctionRecord("app-f", "app", config, 0);
    }

    static Event event(String id) {
        return new Event(id, "test/e", Json.mapper().valueToTree(Map.of("n", 1)), null, null, null);
    }

    Admission admit(FunctionRecord f, Event e) {
        return store.tx(() -> flow.admit(f, List.of(e), clock.instant()));
    }

    Admission admitThenRollBack(FunctionRecord f, Event e) {
        Admission[] admitted = new Admission[1];
        assertThrows(IllegalStateException.class, () -> store.txRun(() -> {
            admitted[0] = flow.admit(f, List.of(e), clock.instant());
            throw new IllegalStateException("saving the event failed"); // the unit rolls back
        }));
        return admitted[0];
    }

    @Test
    void aRateLimitStartTakenByAnEventWhoseUnitRolledBackIsFreeForItsRetry() {
        FunctionRecord f = fn(RateLimit.of(1, Duration.ofHours(1)), null);
        assertInstanceOf(Admission.Start.class, admitThenRollBack(f, event("r1")));

        assertInstanceOf(Admission.Start.class, admit(f, event("r1")), "the sender's retry runs");
        assertInstanceOf(Admission.Skip.class, admit(f, event("r2")), "the committed start still counts");
    }

    @Test
    void aThrottleSlotReservedByAnEventWhoseUnitRolledBackGoesToTheNextEvent() {
        FunctionRecord f = fn(null, Throttle.of(1, Duration.ofMinutes(1)));
        Instant now = clock.instant();
        assertEquals(new Admission.Start(now), admitThenRollBack(f, event("t1")));

        assertEquals(new Admission.Start(now), admit(f, event("t1")), "the retry gets the slot now, not a minute later");
        assertEquals(new Admission.Start(now.plus(Duration.ofMinutes(1))), admit(f, event("t2")));
    }

    @Test
    void aRolledBackEventBehindOthersGivesBackOneSlotOnly() {
        FunctionRecord f = fn(null, Throttle.of(1, Duration.ofMinutes(1)));
        Instant now = clock.instant();
        assertEquals(new Admission.Start(now), admit(f, event("t1")));
        assertEquals(new Admission.Start(now.plus(Duration.ofMinutes(1))), admitThenRollBack(f, event("t2")));

        assertEquals(new Admission.Start(now.plus(Duration.ofMinutes(1))), admit(f, event("t2")));
        assertEquals(new Admission.Start(now.plus(Duration.ofMinutes(2))), admit(f, event("t3")));
    }
}
