package dev.loomstep.devserver.flow;

import dev.loomstep.devserver.store.RunRecord;
import dev.loomstep.flow.Timeouts;
import dev.loomstep.protocol.TimeStrings;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledFuture;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A function's {@code timeouts} in {@link ConfiguredFlowControl}: {@code timeouts.start} cancels a
 * run whose first call has not been made in time, {@code timeouts.finish} one that has not ended in
 * time after its first call. Timers fire the cancellation; the first call checks the deadlines too,
 * from the run's durable timestamps, so they hold after a restart.
 */
final class TimeoutTimers {
    private static final Logger LOG = LoggerFactory.getLogger(ConfiguredFlowControl.class);

    private final InstantSource clock;
    private final FlowTimer timer;
    private final BiConsumer<String, String> cancel;
    /** Runs whose first call has been let through. */
    private final Set<String> started = ConcurrentHashMap.newKeySet();
    /** Start/finish timeout timers per run, cancelled when the run ends. */
    private final Map<String, List<ScheduledFuture<?>>> timers = new ConcurrentHashMap<>();

    TimeoutTimers(InstantSource clock, FlowTimer timer, BiConsumer<String, String> cancel) {
        this.clock = clock;
        this.timer = timer;
        this.cancel = cancel;
    }

    /** A new run: its start deadline is timed. */
    void runCreated(RunRecord run, Timeouts timeouts) {
        if (timeouts != null && timeouts.start() != null) {
            Instant deadline = RunTimeouts.startDeadline(timeouts, Instant.ofEpochMilli(run.createdAt())).orElseThrow();
            schedule(run.id(), deadline, () -> {
                if (!started.contains(run.id())) {
                    cancel.accept(run.id(), startMessage(timeouts));
                }
            });
        }
    }

    /**
     * Before a call of a run not yet started: cancels it and answers true when a deadline has passed
     * (the run is over).
     */
    boolean expired(RunRecord run, Timeouts timeouts, Instant now) {
        if (timeouts == null || started.contains(run.id())) {
            return false;
        }
        // Deadlines from the run's durable timestamps: they hold after a restart, too.
        if (run.startedAt() == null && RunTimeouts.startExpired(timeouts, Instant.ofEpochMilli(run.createdAt()), now)) {
            cancel.accept(run.id(), startMessage(timeouts));
            return true;
        }
        Instant startedAt = run.startedAt() == null ? now : Instant.ofEpochMilli(run.startedAt());
        if (RunTimeouts.finishExpired(timeouts, startedAt, now)) {
            cancel.accept(run.id(), finishMessage(timeouts));
            return true;
        }
        return false;
    }

    /** A call of the run is let through: on its first, the finish deadline is timed. */
    void callLetThrough(RunRecord run, Timeouts timeouts, Instant now) {
        if (started.add(run.id())) {
            scheduleFinish(run.id(), timeouts, run.startedAt() == null ? now : Instant.ofEpochMilli(run.startedAt()));
        }
    }

    /** A run still running at start-up: its timeouts are timed again. */
    void restore(RunRecord run, Timeouts timeouts) {
        if (run.startedAt() == null) {
            runCreated(run, timeouts);
        } else if (started.add(run.id())) {
            scheduleFinish(run.id(), timeouts, Instant.ofEpochMilli(run.startedAt()));
        }
    }

    void runFinished(String runId) {
        started.remove(runId);
        List<ScheduledFuture<?>> pending = timers.remove(runId);
        if (pending != null) {
            pending.forEach(f -> f.cancel(false));
        }
    }

    private void scheduleFinish(String runId, Timeouts timeouts, Instant startedAt) {
        if (timeouts != null && timeouts.finish() != null) {
            schedule(runId, RunTimeouts.finishDeadline(timeouts, startedAt).orElseThrow(),
                    () -> cancel.accept(runId, finishMessage(timeouts)));
        }
    }

    private void schedule(String runId, Instant at, Runnable task) {
        ScheduledFuture<?> f = timer.at(at, 0, () -> {
            try {
                task.run();
            } catch (RuntimeException e) {
                if (!timer.closed()) {
                    LOG.error("run {}: a flow-control timer failed", runId, e);
                }
            }
        });
        if (f != null) {
            timers.computeIfAbsent(runId, k -> new CopyOnWriteArrayList<>()).add(f);
        }
    }

    private static String startMessage(Timeouts timeouts) {
        return "the run did not start within " + TimeStrings.format(timeouts.start()) + " (timeouts.start)";
    }

    private static String finishMessage(Timeouts timeouts) {
        return "the run did not finish within " + TimeStrings.format(timeouts.finish()) + " of its start (timeouts.finish)";
    }
}
