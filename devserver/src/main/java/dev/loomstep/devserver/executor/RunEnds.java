package dev.loomstep.devserver.executor;

import dev.loomstep.devserver.store.RunRecord;
import dev.loomstep.devserver.store.RunStatus;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * Lets a caller wait for runs to end without polling the store: {@link Lifecycle} signals every end
 * once its transaction has committed, and a waiter parks on a future until then.
 */
public final class RunEnds {
    private final ConcurrentHashMap<String, Set<CompletableFuture<Void>>> watchers = new ConcurrentHashMap<>();

    /**
     * Returns once none of the runs {@code read} gives is {@link RunStatus#Running}, or after
     * {@code timeout}. {@code read} is asked twice: for the runs to watch, and, once they are watched,
     * for their statuses, so an end that commits in between is not missed.
     */
    public void await(Supplier<List<RunRecord>> read, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + Math.max(0, timeout.toNanos());
        Map<String, CompletableFuture<Void>> watched = new HashMap<>();
        try {
            for (RunRecord r : read.get()) {
                if (r.status() == RunStatus.Running) {
                    watched.put(r.id(), watch(r.id()));
                }
            }
            if (watched.isEmpty()) {
                return;
            }
            for (RunRecord r : read.get()) {
                CompletableFuture<Void> ended = watched.get(r.id());
                if (ended == null || r.status() != RunStatus.Running) {
                    continue;
                }
                try {
                    ended.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                } catch (TimeoutException e) {
                    return;
                } catch (ExecutionException e) {
                    throw new IllegalStateException("waiting for run " + r.id() + " to end failed", e.getCause());
                }
            }
        } finally {
            watched.forEach(this::unwatch);
        }
    }

    private CompletableFuture<Void> watch(String runId) {
        var ended = new CompletableFuture<Void>();
        watchers.compute(runId, (id, set) -> {
            Set<CompletableFuture<Void>> s = set == null ? new HashSet<>() : set;
            s.add(ended);
            return s;
        });
        return ended;
    }

    private void unwatch(String runId, CompletableFuture<Void> ended) {
        watchers.computeIfPresent(runId, (id, set) -> {
            set.remove(ended);
            return set.isEmpty() ? null : set;
        });
    }

    /** Called after the run's end has committed. */
    void ended(String runId) {
        Set<CompletableFuture<Void>> set = watchers.remove(runId);
        if (set != null) {
            set.forEach(f -> f.complete(null));
        }
    }

    /** How many runs are being waited for; tests check that nothing is left behind. */
    public int watched() {
        return watchers.size();
    }
}
