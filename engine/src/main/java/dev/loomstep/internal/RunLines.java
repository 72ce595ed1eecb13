package dev.loomstep.internal;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;

/**
 * A budget for one kind of per-run log line ("run … completed"): the first {@code perSecond} lines of
 * each second are logged one by one, for a person to read; past that, lines are only counted, and one
 * summary line for that second is logged when it ends. At a few runs a second the log is unchanged; at
 * hundreds it is one line a second instead of hundreds, whose formatting and synchronous writes would
 * otherwise show in the runs a second. Failures are never counted here: log them each.
 *
 * <p>Lock-free: two atomics per line in the common case. Used by the app (engine) and the devserver.
 */
public final class RunLines {
    private final int perSecond;
    private final LongConsumer summary;
    private final LongSupplier nanos;
    private final AtomicLong windowStart;
    private final AtomicLong inWindow = new AtomicLong();
    private final AtomicLong suppressed = new AtomicLong();
    private final AtomicBoolean summaryDue = new AtomicBoolean();

    /**
     * @param perSecond how many lines a second are logged one by one
     * @param summary   logs the summary of the lines a second held back (called with their count, from a
     *                  timer thread once the second is over)
     */
    public RunLines(int perSecond, LongConsumer summary) {
        this(perSecond, summary, System::nanoTime);
    }

    RunLines(int perSecond, LongConsumer summary, LongSupplier nanos) {
        this.perSecond = perSecond;
        this.summary = summary;
        this.nanos = nanos;
        this.windowStart = new AtomicLong(nanos.getAsLong());
    }

    /** Whether this line is to be logged; false: it was counted into the second's summary. */
    public boolean allow() {
        long now = nanos.getAsLong();
        long start = windowStart.get();
        if (now - start >= 1_000_000_000L && windowStart.compareAndSet(start, now)) {
            inWindow.set(0);
        }
        if (inWindow.incrementAndGet() <= perSecond) {
            return true;
        }
        suppressed.incrementAndGet();
        if (summaryDue.compareAndSet(false, true)) {
            CompletableFuture.runAsync(this::flush, CompletableFuture.delayedExecutor(1, TimeUnit.SECONDS));
        }
        return false;
    }

    /** Logs the summary of what was held back since the last one, if anything. */
    void flush() {
        summaryDue.set(false);
        long n = suppressed.getAndSet(0);
        if (n > 0) {
            summary.accept(n);
        }
    }
}
