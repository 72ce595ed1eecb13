package dev.loomstep.devserver.flow;

import dev.loomstep.Event;
import dev.loomstep.devserver.store.FunctionRecord;
import dev.loomstep.devserver.store.RunRecord;
import dev.loomstep.devserver.store.Store;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Flow control (rate limit, throttle, debounce, batching, idempotency, singleton, priority,
 * concurrency, timeouts). The decisions live in {@code dev.loomstep.devserver.flow}; an implementation
 * of this interface wires them to the executor through a few hooks. {@link ConfiguredFlowControl} (the
 * default) applies each function's config; {@link #none()} starts every run at once and never holds a call.
 */
public interface FlowControl {

    /** Given once, before any other call: starts runs that were {@link Admission.Held held} earlier. */
    default void attach(RunStarter starter) {}

    /**
     * Given once, before any other call, by the executor: also a way to cancel runs (singleton
     * {@code mode: cancel}, timeouts). The default hands only the starter to {@link #attach(RunStarter)}.
     */
    default void attach(RunStarter starter, RunCanceller canceller) {
        attach(starter);
    }

    /**
     * Given once, before any other call, by an executor whose state is durable: what flow control must
     * not lose at a restart (held events, windows) is written to {@code store} within the caller's unit
     * of work, and what an earlier process left there is taken up again now. The default ignores the
     * store and hands the rest to {@link #attach(RunStarter, RunCanceller)}.
     */
    default void attach(RunStarter starter, RunCanceller canceller, Store store) {
        attach(starter, canceller);
    }

    /** A run was created (admitted, or started through the {@link RunStarter}); called inside the creating transaction. */
    default void runCreated(FunctionRecord function, RunRecord run) {}

    /** Whether and when a new run of {@code function} for {@code events} starts. */
    Admission admit(FunctionRecord function, List<Event> events, Instant now);

    /**
     * Called before each call to the SDK for a run (concurrency). Zero (or null) lets the call go; a
     * positive delay puts it back in the queue for that long, without counting an attempt.
     * Every call that goes is followed by exactly one {@link #afterCall}.
     */
    default Duration beforeCall(FunctionRecord function, RunRecord run) {
        return Duration.ZERO;
    }

    /** The call let through by {@link #beforeCall} is over (release a concurrency slot). */
    default void afterCall(FunctionRecord function, RunRecord run) {}

    /** A run ended (completed, failed or cancelled): release singleton keys and the like. */
    default void runFinished(FunctionRecord function, RunRecord run) {}

    /**
     * The events flow control holds for a function right now (a debounce waiting for quiet, an open
     * batch), so the REST API can show events that started no run yet. None by default.
     */
    default List<Held> held(String functionId) {
        return List.of();
    }

    /**
     * Events held for a function.
     *
     * @param kind     {@code debounce} or {@code batch}
     * @param key      the function-scoped key (the evaluated CEL key)
     * @param eventIds the held events' ids, oldest first (a debounce holds only its latest)
     * @param dueAt    when the run starts at the latest
     */
    record Held(String kind, String key, List<String> eventIds, Instant dueAt) {}

    /** A decision about a new run. */
    sealed interface Admission {
        /** Start the run at {@code at} (now, or later: throttle, priority). */
        record Start(Instant at) implements Admission {}

        /** Do not start a run (rate limit, idempotency, singleton skip); {@code reason} is logged. */
        record Skip(String reason) implements Admission {}

        /** Keep the event (debounce, batching); the flow control starts the run later through its {@link RunStarter}. */
        record Held(String reason) implements Admission {}
    }

    /** Starts a run now, without asking {@link #admit} again. */
    @FunctionalInterface
    interface RunStarter {
        /** @return the new run's id, or null when the function is no longer synced */
        String start(String functionId, List<Event> events);
    }

    /** Cancels a running run through the executor's normal cancel path. */
    @FunctionalInterface
    interface RunCanceller {
        /** @return false when the run is unknown or already ended */
        boolean cancel(String runId, String reason);
    }

    /** No flow control at all. */
    static FlowControl none() {
        return (function, events, now) -> new Admission.Start(now);
    }
}
