package dev.loomstep.devserver.flow;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The generic cell rate algorithm, the way Inngest's rate limiter and throttle use it: each key keeps
 * a theoretical arrival time (TAT); a request costs one emission interval ({@code period / limit});
 * it is admitted when {@code max(TAT, now) + interval - tolerance <= now}, where the tolerance
 * ({@code interval * capacity}) decides how many requests can pass at once. Times are nanoseconds
 * since the epoch. Thread-safe: each key is updated atomically.
 */
final class Gcra {
    /** Forget keys whose TAT has passed every so many calls; they behave exactly like absent keys. */
    private static final int SWEEP_EVERY = 1024;

    private final ConcurrentHashMap<String, Long> tats = new ConcurrentHashMap<>();
    private final AtomicInteger calls = new AtomicInteger();
    private final WindowListener listener;

    Gcra() {
        this(WindowListener.NONE);
    }

    /** With a listener told of every TAT this instance moves (after the move, outside any lock). */
    Gcra(WindowListener listener) {
        this.listener = java.util.Objects.requireNonNull(listener, "listener");
    }

    /** Puts back a key's TAT saved earlier (start-up); a later TAT already known wins. */
    void restore(String key, long tatNanos) {
        tats.merge(key, tatNanos, Math::max);
    }

    /**
     * Admits one request if it fits, updating the key's TAT.
     *
     * @param capacity how many requests may pass at once from an idle key (at least 1)
     * @return 0 when admitted, else the nanoseconds until a request would be admitted (nothing consumed)
     */
    long tryTake(String key, long nowNanos, long intervalNanos, long capacity) {
        long tolerance = intervalNanos * capacity;
        long[] wait = new long[1];
        long[] moved = {Long.MIN_VALUE};
        tats.compute(key, (k, tat) -> {
            long base = tat == null ? nowNanos : Math.max(tat, nowNanos);
            long next = base + intervalNanos;
            long allowAt = next - tolerance;
            if (allowAt > nowNanos) {
                wait[0] = allowAt - nowNanos;
                return tat;
            }
            wait[0] = 0;
            moved[0] = next;
            return next;
        });
        if (moved[0] != Long.MIN_VALUE) {
            listener.moved(key, moved[0]);
        }
        if (calls.incrementAndGet() % SWEEP_EVERY == 0) {
            // Conditional removal (entrySet().removeIf on a ConcurrentHashMap) never drops a fresh update.
            tats.entrySet().removeIf(e -> e.getValue() <= nowNanos);
        }
        return wait[0];
    }

    /**
     * Reserves the next free emission for a request: always consumes, and returns how long the request
     * must wait before it may pass (0 when it may pass now). Unlike {@link #tryTake}, requests that
     * reserve together get successive slots instead of all being told the same delay.
     */
    long reserve(String key, long nowNanos, long intervalNanos, long capacity) {
        long tolerance = intervalNanos * capacity;
        long[] wait = new long[1];
        long[] moved = new long[1];
        tats.compute(key, (k, tat) -> {
            long next = (tat == null ? nowNanos : Math.max(tat, nowNanos)) + intervalNanos;
            wait[0] = Math.max(0, next - tolerance - nowNanos);
            moved[0] = next;
            return next;
        });
        listener.moved(key, moved[0]);
        return wait[0];
    }

    /**
     * Gives back one emission taken by {@link #tryTake} or {@link #reserve} whose request did not go
     * ahead after all (its unit of work rolled back): the key's TAT moves back one interval, never
     * below {@code nowNanos} (an idle key stays idle). Not told to the listener: the rolled-back unit
     * took its saved window with it, and the next take saves the key's TAT anew.
     */
    void giveBack(String key, long nowNanos, long intervalNanos) {
        tats.computeIfPresent(key, (k, tat) -> {
            long back = tat - intervalNanos;
            return back <= nowNanos ? null : back;
        });
    }

    static long nanos(java.time.Instant instant) {
        return Math.addExact(Math.multiplyExact(instant.getEpochSecond(), 1_000_000_000L), instant.getNano());
    }

    int size() {
        return tats.size();
    }
}
