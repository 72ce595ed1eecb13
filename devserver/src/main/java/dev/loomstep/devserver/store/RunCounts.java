package dev.loomstep.devserver.store;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * How many runs the store holds in each status, kept in memory as runs are inserted and finished (after
 * their unit commits), so that reading them costs no query: counted once when the store opens.
 */
final class RunCounts {
    private static final RunStatus[] STATUSES = RunStatus.values();
    private final AtomicLongArray counts = new AtomicLongArray(STATUSES.length);

    void set(Map<RunStatus, Long> counted) {
        for (RunStatus s : STATUSES) {
            counts.set(s.ordinal(), counted.getOrDefault(s, 0L));
        }
    }

    void inserted(RunStatus status) {
        counts.incrementAndGet(status.ordinal());
    }

    /** A running run ended in {@code status}. */
    void finished(RunStatus status) {
        counts.decrementAndGet(RunStatus.Running.ordinal());
        counts.incrementAndGet(status.ordinal());
    }

    Map<RunStatus, Long> snapshot() {
        var out = new EnumMap<RunStatus, Long>(RunStatus.class);
        for (RunStatus s : STATUSES) {
            out.put(s, counts.get(s.ordinal()));
        }
        return out;
    }
}
