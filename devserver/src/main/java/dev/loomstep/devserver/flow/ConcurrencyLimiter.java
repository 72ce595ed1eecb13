package dev.loomstep.devserver.flow;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.flow.Concurrency;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Concurrency limits ({@code concurrency: N} or up to two {@code {limit, key, scope}}): at most
 * {@code limit} holders per key at once. A work item (a step call, in Inngest's model) asks for the
 * {@link Slot}s of all its function's limits together and gets a {@link Lease} on all of them, or
 * none; it gives the lease back with {@link Lease#release()} when the call ends.
 *
 * <p>Non-blocking: {@link #tryAcquire} answers at once; {@link #acquire} returns a future that
 * completes when the lease is granted. Every release grants, in arrival order, each waiter whose
 * slots all have room, so waiters for the same key are served first come, first served, while a
 * request whose keys have room never waits behind one whose keys are full (one busy user does not
 * hold up the others). A waiter needing two keys can be overtaken on the shared one. Cancelling a
 * waiting future leaves the queue. Futures complete outside the limiter's lock, so callbacks may
 * call back in.
 *
 * <p>Keys follow Inngest: {@code fn} scope counts per function (and per key value), {@code env} and
 * {@code account} scopes share the count across functions by key value. A limit of 0 or less means
 * no limit. Thread-safe.
 */
public final class ConcurrencyLimiter {
    /** One limited key and its limit. */
    public record Slot(String key, int limit) {
        public Slot {
            Objects.requireNonNull(key, "key");
            if (limit <= 0) {
                throw new IllegalArgumentException("a concurrency slot needs a limit of at least 1, got " + limit);
            }
        }
    }

    /** Permission to run under some slots; release it exactly once (further calls do nothing). */
    public interface Lease extends AutoCloseable {
        List<Slot> slots();

        void release();

        @Override
        default void close() {
            release();
        }
    }

    private final ReentrantLock lock = new ReentrantLock();
    private final Map<String, Integer> inUse = new HashMap<>();
    private final ArrayDeque<Waiter> waiters = new ArrayDeque<>();

    /**
     * The slots a run of {@code functionId} triggered by {@code event} needs under its concurrency
     * config (empty when unlimited).
     *
     * @throws IllegalArgumentException when a key expression does not compile
     */
    public static List<Slot> slots(String functionId, Collection<Concurrency> limits, JsonNode event) {
        if (limits == null || limits.isEmpty()) {
            return List.of();
        }
        List<Slot> slots = new ArrayList<>(limits.size());
        for (Concurrency c : limits) {
            if (c.limit() <= 0) {
                continue;
            }
            Concurrency.Scope scope = c.scope() == null ? Concurrency.Scope.fn : c.scope();
            String value = FlowKeys.evaluate(c.key(), event);
            String key = switch (scope) {
                case fn -> "f:" + functionId + ':' + value;
                case env -> "e:" + value;
                case account -> "a:" + value;
            };
            slots.add(new Slot(key, c.limit()));
        }
        return normalize(slots);
    }

    /** A lease on all {@code slots} if every one has room now, else empty (nothing taken). */
    public Optional<Lease> tryAcquire(List<Slot> slots) {
        List<Slot> wanted = normalize(slots);
        lock.lock();
        try {
            if (!fits(wanted)) {
                return Optional.empty();
            }
            take(wanted);
            return Optional.of(new Granted(wanted));
        } finally {
            lock.unlock();
        }
    }

    /**
     * A future lease on all {@code slots}: already complete when they have room, else completed when
     * releases make room. Cancel the future to stop waiting.
     */
    public CompletableFuture<Lease> acquire(List<Slot> slots) {
        List<Slot> wanted = normalize(slots);
        lock.lock();
        try {
            if (fits(wanted)) {
                take(wanted);
                return CompletableFuture.completedFuture(new Granted(wanted));
            }
            Waiter waiter = new Waiter(wanted, new CompletableFuture<>());
            waiters.add(waiter);
            return waiter.future;
        } finally {
            lock.unlock();
        }
    }

    /** How many leases hold {@code key} now. */
    public int inUse(String key) {
        lock.lock();
        try {
            return inUse.getOrDefault(key, 0);
        } finally {
            lock.unlock();
        }
    }

    /** How many acquisitions are waiting (cancelled ones may count until the next release). */
    public int waiting() {
        lock.lock();
        try {
            return (int) waiters.stream().filter(w -> !w.future.isDone()).count();
        } finally {
            lock.unlock();
        }
    }

    private void release(List<Slot> slots) {
        List<Waiter> granted = new ArrayList<>();
        lock.lock();
        try {
            for (Slot slot : slots) {
                inUse.computeIfPresent(slot.key(), (k, n) -> n <= 1 ? null : n - 1);
            }
            for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
                Waiter w = it.next();
                if (w.future.isDone()) {
                    it.remove();
                } else if (fits(w.slots)) {
                    take(w.slots);
                    granted.add(w);
                    it.remove();
                }
            }
        } finally {
            lock.unlock();
        }
        for (Waiter w : granted) {
            Granted lease = new Granted(w.slots);
            if (!w.future.complete(lease)) {
                lease.release(); // cancelled while being granted: pass the room on
            }
        }
    }

    private boolean fits(List<Slot> slots) {
        for (Slot slot : slots) {
            if (inUse.getOrDefault(slot.key(), 0) >= slot.limit()) {
                return false;
            }
        }
        return true;
    }

    private void take(List<Slot> slots) {
        for (Slot slot : slots) {
            inUse.merge(slot.key(), 1, Integer::sum);
        }
    }

    /** One slot per key; if a key appears twice, the smaller limit applies. */
    private static List<Slot> normalize(List<Slot> slots) {
        if (slots.size() < 2) {
            return List.copyOf(slots);
        }
        Map<String, Slot> byKey = new LinkedHashMap<>();
        for (Slot s : slots) {
            byKey.merge(s.key(), s, (a, b) -> a.limit() <= b.limit() ? a : b);
        }
        return List.copyOf(byKey.values());
    }

    private record Waiter(List<Slot> slots, CompletableFuture<Lease> future) {}

    private final class Granted implements Lease {
        private final List<Slot> slots;
        private final AtomicBoolean released = new AtomicBoolean();

        Granted(List<Slot> slots) {
            this.slots = slots;
        }

        @Override
        public List<Slot> slots() {
            return slots;
        }

        @Override
        public void release() {
            if (released.compareAndSet(false, true)) {
                ConcurrencyLimiter.this.release(slots);
            }
        }
    }
}
