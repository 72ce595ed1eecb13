package dev.loomstep.devserver.flow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loomstep.Event;
import dev.loomstep.devserver.flow.FlowControl.Admission;
import dev.loomstep.devserver.store.FunctionRecord;
import dev.loomstep.devserver.store.RunRecord;
import dev.loomstep.devserver.store.RunStatus;
import dev.loomstep.flow.Concurrency;
import dev.loomstep.flow.Priority;
import dev.loomstep.flow.Singleton;
import dev.loomstep.flow.Throttle;
import dev.loomstep.flow.Timeouts;
import dev.loomstep.protocol.Json;
import dev.loomstep.protocol.SyncRequest.FunctionConfig;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The bookkeeping of {@link ConfiguredFlowControl} that the end-to-end tests cannot see directly. */
class ConfiguredFlowControlTest {
    final ManualClock clock = new ManualClock("2024-03-01T12:00:00Z");
    final ConfiguredFlowControl flow = new ConfiguredFlowControl(clock);
    final List<String> cancelled = new ArrayList<>();

    ConfiguredFlowControlTest() {
        flow.attach((fn, events) -> "started", (runId, reason) -> cancelled.add(runId + ": " + reason));
    }

    @AfterEach
    void close() {
        flow.close();
    }

    static FunctionRecord fn(List<Concurrency> concurrency, Throttle throttle, Priority priority, Singleton singleton) {
        var config = new FunctionConfig("app-f", "f", List.of(), Map.of(), concurrency, null, throttle, null, null, null,
                priority, null, null, singleton);
        return new FunctionRecord("app-f", "app", config, 0);
    }

    static Event event(String id, Map<String, Object> data) {
        return new Event(id, "test/e", Json.mapper().valueToTree(data), null, 1L, null);
    }

    static RunRecord run(String id, Event e) {
        return new RunRecord(id, "app-f", e.id(), List.of(e), RunStatus.Running, null, null, 0, null, null, false, -1, null);
    }

    @Test
    void concurrencyLeasesFollowCallsNotRunEnds() {
        FunctionRecord f = fn(List.of(Concurrency.of(2)), null, null, null);
        RunRecord a = run("A", event("e1", Map.of()));
        RunRecord b = run("B", event("e2", Map.of()));

        assertEquals(Duration.ZERO, flow.beforeCall(f, a));
        assertEquals(Duration.ZERO, flow.beforeCall(f, a), "a fan-out takes one lease per call");
        assertTrue(flow.beforeCall(f, b).isPositive(), "no room: wait and ask again");
        flow.runFinished(f, a);
        assertTrue(flow.beforeCall(f, b).isPositive(), "calls in flight still count after the run ended");
        flow.afterCall(f, a);
        assertEquals(Duration.ZERO, flow.beforeCall(f, b));
        flow.afterCall(f, a);
        flow.afterCall(f, b);
        assertEquals(0, flow.leasesInUse("f:app-f:"), "every lease is given back");
        flow.afterCall(f, b);
        assertEquals(0, flow.leasesInUse("f:app-f:"), "an extra afterCall releases nothing");
    }

    @Test
    void throttledRunsGetSuccessiveStartTimesAndPriorityNeverBeatsThem() {
        FunctionRecord f = fn(null, Throttle.of(1, Duration.ofSeconds(2)), new Priority("event.data.p"), null);
        Instant now = clock.instant();

        assertEquals(new Admission.Start(now.minusSeconds(30)), flow.admit(f, List.of(event("e1", Map.of("p", 30))), now));
        assertEquals(new Admission.Start(now.plusSeconds(2)), flow.admit(f, List.of(event("e2", Map.of("p", 30))), now));
        assertEquals(new Admission.Start(now.plusSeconds(4 + 5)), flow.admit(f, List.of(event("e3", Map.of("p", -5))), now));
    }

    @Test
    void singletonCancelCancelsTheRunHoldingTheKeyAndReleasesOnFinish() {
        FunctionRecord f = fn(null, null, null, new Singleton("event.data.user", Singleton.Mode.cancel));
        Instant now = clock.instant();
        Event first = event("e1", Map.of("user", "u"));
        assertInstanceOf(Admission.Start.class, flow.admit(f, List.of(first), now));
        flow.runCreated(f, run("R1", first));

        Event second = event("e2", Map.of("user", "u"));
        assertInstanceOf(Admission.Start.class, flow.admit(f, List.of(second), now));
        flow.runCreated(f, run("R2", second));
        assertEquals(1, cancelled.size());
        assertTrue(cancelled.get(0).startsWith("R1: cancelled by singleton"), cancelled.toString());

        flow.runFinished(f, run("R1", first)); // the cancelled run's end must not free R2's key
        Event third = event("e3", Map.of("user", "u"));
        assertInstanceOf(Admission.Start.class, flow.admit(f, List.of(third), now));
        assertEquals(2, cancelled.size());
        assertTrue(cancelled.get(1).startsWith("R2: "), cancelled.toString());
    }

    @Test
    void aSyncWithANonPositiveTimeoutIsRefusedInOneLine() {
        var config = new FunctionConfig("app-f", "f", List.of(), Map.of(), null, null, null, null, null, null, null, null,
                new Timeouts(null, Duration.ZERO), null);
        var e = assertThrows(IllegalArgumentException.class, () -> ConfigChecks.validate(config));
        assertEquals("function \"app-f\": invalid timeouts.finish: must be positive, got 0s", e.getMessage());
    }
}
