package dev.loomstep.devserver.queue;

import dev.loomstep.devserver.store.QueueItem;
import java.util.List;

/**
 * Where the queue pages in the pending items it does not hold in memory: the store's queue table, read
 * in due order. Only timers, cron firings and discovery calls are paged; STEP calls (a run's fan-out in
 * progress) always stay in memory, because a discovery of their run must wait for each of them.
 */
@FunctionalInterface
public interface Backlog {
    /** Nothing beyond what was offered: the queue holds everything in memory (tests, tools). */
    Backlog NONE = (dueAt, id, limit) -> List.of();

    /**
     * Up to {@code limit} pending items of every kind but STEP, ordered by {@code (dueAt, id)}, strictly
     * after {@code (dueAt, id)}; fewer than {@code limit} means there are no more.
     */
    List<QueueItem> after(long dueAt, long id, int limit);
}
