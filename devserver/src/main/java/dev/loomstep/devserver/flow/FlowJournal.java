package dev.loomstep.devserver.flow;

import dev.loomstep.devserver.store.FlowWindow;
import dev.loomstep.devserver.store.HeldEvents;
import dev.loomstep.devserver.store.Store;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Where {@link ConfiguredFlowControl} writes the state a restart must not lose: held events and
 * keyed windows. Each write joins the caller's unit of work (flow control is asked inside the unit
 * that saves the event), so the state commits with the event that changed it, or not at all. Before
 * {@link #open} (no store: unit tests, {@link FlowControl#none()}-like uses) every write is a no-op.
 */
final class FlowJournal {
    /** Drop expired windows every so many window writes, so idle keys do not pile up in the file. */
    private static final int SWEEP_EVERY = 1024;

    private final InstantSource clock;
    private final AtomicInteger windowWrites = new AtomicInteger();
    private volatile Store store;

    FlowJournal(InstantSource clock) {
        this.clock = clock;
    }

    void open(Store durable) {
        this.store = durable;
    }

    /** The store, or null before {@link #open}. */
    Store store() {
        return store;
    }

    /**
     * Claims a key in the store, in the caller's unit: true when it was free (or its claim expired),
     * false when an unexpired claim holds it. Without a store: null, the caller decides in memory.
     */
    Boolean claim(String kind, String key, Instant now, Instant expiresAt) {
        Store s = store;
        if (s == null) {
            return null;
        }
        boolean claimed = s.claimWindow(new FlowWindow(kind, key, now.toEpochMilli(), expiresAt.toEpochMilli()), now.toEpochMilli());
        sweepNowAndThen(s);
        return claimed;
    }

    /** A GCRA's new TAT (ns): it matters until it has passed. */
    void gcra(String kind, String key, long tatNanos) {
        Store s = store;
        if (s == null) {
            return;
        }
        s.saveWindow(new FlowWindow(kind, key, tatNanos, Math.floorDiv(tatNanos, 1_000_000L) + 1));
        sweepNowAndThen(s);
    }

    private void sweepNowAndThen(Store s) {
        if (windowWrites.incrementAndGet() % SWEEP_EVERY == 0) {
            s.dropExpiredWindows(clock.millis());
        }
    }

    /**
     * Runs {@code undo} if the caller's unit rolls back: for what a limiter took in memory alongside the
     * unit's writes. Without a store or outside a unit nothing can roll back, and it is dropped.
     */
    void onRollback(Runnable undo) {
        Store s = store;
        if (s != null) {
            s.afterRollback(undo);
        }
    }

    void hold(HeldEvents held) {
        Store s = store;
        if (s != null) {
            s.holdEvents(held);
        }
    }

    /** The committed holding of a key, deleted in the caller's unit; empty without a store or when none is held. */
    Optional<HeldEvents> take(String kind, String key) {
        Store s = store;
        return s == null ? Optional.empty() : s.takeHeld(kind, key);
    }
}
