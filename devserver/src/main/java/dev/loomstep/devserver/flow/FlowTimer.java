package dev.loomstep.devserver.flow;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The one timer thread of {@link ConfiguredFlowControl}: held runs falling due and run timeouts.
 * Started when the flow control is attached; before that, and once closed, nothing is scheduled.
 * Delays are real time, measured from the flow control's clock.
 */
final class FlowTimer implements AutoCloseable {
    private final InstantSource clock;
    private volatile ScheduledExecutorService timer;
    private volatile boolean closed;

    FlowTimer(InstantSource clock) {
        this.clock = clock;
    }

    synchronized void start() {
        if (timer == null) {
            timer = Executors.newSingleThreadScheduledExecutor(Thread.ofVirtual().name("loomstep-dev-flow-timer").factory());
        }
    }

    boolean closed() {
        return closed;
    }

    /** Runs {@code task} at {@code at} plus {@code slackMillis} (at once when past); null when not started or closed. */
    ScheduledFuture<?> at(Instant at, long slackMillis, Runnable task) {
        ScheduledExecutorService t = timer;
        if (t == null || closed) {
            return null;
        }
        long delay = Math.max(0, Duration.between(clock.instant(), at).toMillis()) + slackMillis;
        return t.schedule(task, delay, TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        closed = true;
        ScheduledExecutorService t = timer;
        if (t != null) {
            t.shutdownNow();
        }
    }
}
