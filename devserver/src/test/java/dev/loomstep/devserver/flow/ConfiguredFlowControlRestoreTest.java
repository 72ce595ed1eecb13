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
import dev.loomstep.devserver.store.Store;
import dev.loomstep.flow.BatchEvents;
import dev.loomstep.flow.Debounce;
import dev.loomstep.flow.RateLimit;
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
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link ConfiguredFlowControl} over a real store: each "process" is a fresh flow control attached to
 * the same store, as after a restart, with nothing carried over in memory.
 */
class ConfiguredFlowControlRestoreTest {
    final ManualClock clock = new ManualClock("2024-03-01T12:00:00Z");
    final Store store = Store.inMemory();
    final List<ConfiguredFlowControl> processes = new ArrayList<>();
    /** Runs started by held events: "function: event ids". */
    final List<String> started = new CopyOnWriteArrayList<>();
    final List<String> cancelled = new CopyOnWriteArrayList<>();

    @AfterEach
    void close() {
        processes.forEach(ConfiguredFlowControl::close);
        store.close();
    }

    /** A new process: a flow control with empty memory, attached to the store. */
    ConfiguredFlowControl restart() {
        processes.forEach(ConfiguredFlowControl::close);
        var flow = new ConfiguredFlowControl(clock);
        processes.add(flow);
        flow.attach((fn, events) -> {
            started.add(fn + ": " + String.join(",", events.stream().map(Event::id).toList()));
            return "run-" + started.size();
        }, (runId, reason) -> cancelled.add(runId), store);
        return flow;
    }

    static FunctionRecord fn(RateLimit rateLimit, Throttle throttle, Debounce debounce, BatchEvents batch, String idempotency,
                             Timeouts timeouts, Singleton singleton) {
        var config = new FunctionConfig("app-f", "f", List.of(), Map.of(), null, rateLimit, throttle, debounce, batch, null,
                null, idempotency, timeouts, singleton);
        return new FunctionRecord("app-f", "app", config, 0);
    }

    static Event event(String id, int n) {
        return new Event(id, "test/e", Json.mapper().valueToTree(Map.of("n", n)), null, null, null);
    }

    /** As the executor asks: inside a unit of the store. */
    Admission admit(ConfiguredFlowControl flow, FunctionRecord f, Event e) {
        return store.tx(() -> flow.admit(f, List.of(e), clock.instant()));
    }

    static <T> T await(Supplier<T> probe, java.util.function.Predicate<T> done) {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        T last = probe.get();
        while (!done.test(last)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("still " + last + " after 5s");
            }
            Thread.onSpinWait();
            last = probe.get();
        }
        return last;
    }

    @Test
    void aDebounceThatFellDueWhileDownStartsOnceWithItsLastEvent() {
        FunctionRecord f = fn(null, null, Debounce.of(Duration.ofSeconds(10)), null, null, null, null);
        var first = restart();
        assertInstanceOf(Admission.Held.class, admit(first, f, event("e1", 1)));
        assertInstanceOf(Admission.Held.class, admit(first, f, event("e2", 2)));

        clock.advance(Duration.ofSeconds(11)); // down past the period
        restart();

        assertEquals(List.of("app-f: e2"), await(() -> List.copyOf(started), s -> !s.isEmpty()));
        assertTrue(await(store::heldEvents, List::isEmpty).isEmpty(), "the holding went with the run's start");
        restart();
        assertEquals(List.of("app-f: e2"), started, "a third process finds nothing to start");
    }

    @Test
    void anEventAfterThePeriodStartsTheHeldEventsRunEvenWhenTheTimerHasNotRunYet() {
        // The flow timer waits real time (10 s here) while the test moves the clock: as on a loaded machine,
        // the period is over but the timer has not started the run when the next event comes.
        FunctionRecord f = fn(null, null, Debounce.of(Duration.ofSeconds(10)), null, null, null, null);
        var flow = restart();
        admit(flow, f, event("e1", 1));
        clock.advance(Duration.ofSeconds(10));
        assertTrue(started.isEmpty(), "the timer has not run: " + started);

        assertInstanceOf(Admission.Held.class, admit(flow, f, event("e2", 2)));

        assertEquals(List.of("app-f: e1"), started, "e1 was held alone for the whole period: its run starts, in e2's unit");
        assertEquals(List.of("e2"), store.heldEvents().stream().flatMap(h -> h.events().stream()).map(e -> e.get("id").asText()).toList());
        List<FlowControl.Held> held = flow.held("app-f");
        assertEquals(List.of("e2"), held.get(0).eventIds());
        assertEquals(clock.instant().plus(Duration.ofSeconds(10)), held.get(0).dueAt(), "e2 opens the next debounce");
        restart();
        assertEquals(List.of("app-f: e1"), started, "nothing of e1 is left to start again");
    }

    @Test
    void theDebouncePeriodRunsFromTheEventsAdmissionHoweverLongTheBookkeepingTook() {
        FunctionRecord f = fn(null, null, Debounce.of(Duration.ofSeconds(10)), null, null, null, null);
        var flow = restart();
        Instant admitted = clock.instant();
        clock.advance(Duration.ofMillis(1500)); // e.g. the key's expression compiled on a cold, loaded JVM
        store.tx(() -> flow.admit(f, List.of(event("e1", 1)), admitted));
        assertEquals(admitted.plus(Duration.ofSeconds(10)), flow.held("app-f").get(0).dueAt());

        clock.set(admitted.plus(Duration.ofSeconds(10)));
        store.tx(() -> flow.admit(f, List.of(event("e2", 2)), clock.instant()));
        assertEquals(List.of("app-f: e1"), started, "the period after e1's admission was quiet");
    }

    @Test
    void aDebounceNotYetDueIsHeldAgainUntilTheSameTime() {
        FunctionRecord f = fn(null, null, Debounce.of(Duration.ofSeconds(10)), null, null, null, null);
        admit(restart(), f, event("e1", 1));
        clock.advance(Duration.ofSeconds(3));

        var second = restart();

        List<FlowControl.Held> held = second.held("app-f");
        assertEquals(1, held.size());
        assertEquals(List.of("e1"), held.get(0).eventIds());
        assertEquals(Instant.parse("2024-03-01T12:00:10Z"), held.get(0).dueAt());
        assertTrue(started.isEmpty());
        // A new event after the restart replaces the reloaded one and pushes the start back, as before it.
        assertInstanceOf(Admission.Held.class, admit(second, f, event("e2", 2)));
        assertEquals(List.of("e2"), store.heldEvents().get(0).events().stream().map(e -> e.get("id").asText()).toList());
    }

    @Test
    void anOpenBatchIsReloadedAndTheEventThatFillsItAfterARestartStartsOneRunWithAll() {
        FunctionRecord f = fn(null, null, null, BatchEvents.of(3, Duration.ofMinutes(1)), null, null, null);
        var first = restart();
        admit(first, f, event("b1", 1));
        admit(first, f, event("b2", 2));

        var second = restart();
        assertInstanceOf(Admission.Held.class, admit(second, f, event("b3", 3)));

        assertEquals(List.of("app-f: b1,b2,b3"), started);
        assertTrue(store.heldEvents().isEmpty());
        assertTrue(second.held("app-f").isEmpty());
    }

    @Test
    void aBatchEventWhoseUnitRolledBackIsNotInTheRunItsRetryFills() {
        FunctionRecord f = fn(null, null, null, BatchEvents.of(3, Duration.ofMinutes(1)), null, null, null);
        var flow = restart();
        admit(flow, f, event("b1", 1));
        assertThrows(IllegalStateException.class, () -> store.txRun(() -> {
            flow.admit(f, List.of(event("b2", 2)), clock.instant());
            throw new IllegalStateException("saving the event failed"); // the unit rolls back
        }));

        admit(flow, f, event("b2", 2)); // the sender's retry fills the batch, as memory counts it

        assertEquals(List.of("app-f: b1,b2"), started, "b2 once, from its saved retry");
        assertTrue(store.heldEvents().isEmpty());
    }

    @Test
    void anOpenBatchWhoseTimeoutPassedWhileDownIsReleasedAtOnce() {
        FunctionRecord f = fn(null, null, null, BatchEvents.of(10, Duration.ofSeconds(5)), null, null, null);
        var first = restart();
        admit(first, f, event("b1", 1));
        admit(first, f, event("b2", 2));
        clock.advance(Duration.ofSeconds(6));

        restart();

        assertEquals(List.of("app-f: b1,b2"), await(() -> List.copyOf(started), s -> !s.isEmpty()));
        await(store::heldEvents, List::isEmpty);
    }

    @Test
    void anIdempotencyKeyBlocksForItsWindowAcrossRestartsAndIsDroppedAfter() {
        FunctionRecord f = fn(null, null, null, null, "event.data.n", null, null);
        assertInstanceOf(Admission.Start.class, admit(restart(), f, event("i1", 7)));

        assertInstanceOf(Admission.Skip.class, admit(restart(), f, event("i2", 7)), "the key outlives the process");
        assertInstanceOf(Admission.Start.class, admit(processes.get(processes.size() - 1), f, event("i3", 8)));

        clock.advance(IdempotencyGuard.WINDOW.plusSeconds(1));
        var later = restart();
        assertEquals(0, store.counts().get("flow_windows"), "expired keys are dropped at start-up");
        assertInstanceOf(Admission.Start.class, admit(later, f, event("i4", 7)));
    }

    @Test
    void anIdempotencyClaimWhoseEventWasNotSavedDoesNotMakeTheRetryADuplicate() {
        FunctionRecord f = fn(null, null, null, null, "event.data.n", null, null);
        var flow = restart();
        assertThrows(IllegalStateException.class, () -> store.txRun(() -> {
            assertInstanceOf(Admission.Start.class, flow.admit(f, List.of(event("i1", 7)), clock.instant()));
            throw new IllegalStateException("saving the event failed"); // the unit rolls back
        }));

        assertInstanceOf(Admission.Start.class, admit(flow, f, event("i1", 7)), "the sender's retry runs");
        assertInstanceOf(Admission.Skip.class, admit(flow, f, event("i2", 7)));
    }

    @Test
    void aRateLimitWindowSurvivesARestart() {
        FunctionRecord f = fn(RateLimit.of(1, Duration.ofHours(1)), null, null, null, null, null, null);
        assertInstanceOf(Admission.Start.class, admit(restart(), f, event("r1", 1)));

        assertInstanceOf(Admission.Skip.class, admit(restart(), f, event("r2", 2)));

        clock.advance(Duration.ofHours(1));
        assertInstanceOf(Admission.Start.class, admit(restart(), f, event("r3", 3)));
    }

    @Test
    void aThrottleWindowSurvivesARestartSoTheNextRunWaitsForItsSlot() {
        FunctionRecord f = fn(null, Throttle.of(1, Duration.ofMinutes(1)), null, null, null, null, null);
        Instant now = clock.instant();
        assertEquals(new Admission.Start(now), admit(restart(), f, event("t1", 1)));

        assertEquals(new Admission.Start(now.plus(Duration.ofMinutes(1))), admit(restart(), f, event("t2", 2)));
    }

    @Test
    void singletonHoldersAndTimeoutsComeBackFromTheRunsStillRunning() {
        FunctionRecord f = fn(null, null, null, null, null, new Timeouts(null, Duration.ofMinutes(5)),
                new Singleton(null, Singleton.Mode.skip));
        store.replaceFunctions("app", List.of(f));
        Event trigger = event("s1", 1);
        long startedAt = clock.instant().minus(Duration.ofMinutes(10)).toEpochMilli(); // overdue by 5 minutes
        store.insertRun(new RunRecord("run-s1", "app-f", "s1", List.of(trigger), RunStatus.Running, null, null,
                startedAt, startedAt, null, false, -1, null));

        var flow = restart();

        assertInstanceOf(Admission.Skip.class, admit(flow, f, event("s2", 2)), "the running run still holds the key");
        assertEquals(List.of("run-s1"), await(() -> List.copyOf(cancelled), c -> !c.isEmpty()), "its finish timeout fired");
    }
}
