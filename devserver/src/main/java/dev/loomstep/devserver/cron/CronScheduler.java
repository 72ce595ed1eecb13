package dev.loomstep.devserver.cron;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fires each function's cron schedules at their times. One virtual thread sleeps until the earliest
 * next firing and hands each due firing to the {@link Listener} on a virtual thread of its own, so a
 * slow listener never delays other schedules.
 *
 * <pre>{@code
 * try (CronScheduler crons = new CronScheduler(Clock.systemUTC(), (fnId, schedule, at) ->
 *         executor.schedule(fnId, scheduledTimerEvent(schedule, at)))) {
 *     crons.start();
 *     crons.register("app-nightly-report", List.of("TZ=Europe/Paris 0 2 * * *"));
 * }
 * }</pre>
 *
 * <p>Behaviour worth knowing:
 * <ul>
 *   <li>{@link #register} replaces every schedule of that function (a re-sync), and the next firing
 *       is computed from now, so re-syncing never fires a schedule twice for the same minute.</li>
 *   <li>Firings missed while the clock jumped forward (a suspended laptop) collapse into a single
 *       firing for the earliest missed time; no backlog is replayed.</li>
 *   <li>The clock is read again at least every {@code recheckInterval} (1 s by default), so a clock
 *       moved by hand (tests) or by NTP is noticed promptly.</li>
 * </ul>
 * Thread-safe. {@link #close()} stops the scheduling thread; listener calls already started finish
 * on their own.
 */
public final class CronScheduler implements AutoCloseable {
    /** Receives one call per firing, on a virtual thread. Exceptions are logged and dropped. */
    @FunctionalInterface
    public interface Listener {
        void onFire(String functionId, CronSchedule schedule, Instant scheduledAt);
    }

    private static final Logger LOG = LoggerFactory.getLogger(CronScheduler.class);

    private final InstantSource clock;
    private final Listener listener;
    private final long recheckNanos;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final Map<String, List<Entry>> byFunction = new HashMap<>();
    private Thread loop;
    private boolean closed;

    /** A scheduler that re-reads the clock at least once a second. */
    public CronScheduler(InstantSource clock, Listener listener) {
        this(clock, listener, Duration.ofSeconds(1));
    }

    public CronScheduler(InstantSource clock, Listener listener, Duration recheckInterval) {
        this.clock = Objects.requireNonNull(clock, "clock");
        this.listener = Objects.requireNonNull(listener, "listener");
        if (recheckInterval.isNegative() || recheckInterval.isZero()) {
            throw new IllegalArgumentException("recheckInterval must be positive, got " + recheckInterval);
        }
        this.recheckNanos = recheckInterval.toNanos();
    }

    /** Starts the scheduling thread. Schedules registered before are kept. Idempotent. */
    public void start() {
        lock.lock();
        try {
            if (closed) {
                throw new IllegalStateException("the cron scheduler is closed");
            }
            if (loop == null) {
                loop = Thread.ofVirtual().name("loomstep-cron").start(this::run);
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Sets the schedules of a function, replacing any it had; an empty collection removes them. All
     * expressions are parsed before anything changes, so a bad one leaves the old schedules in place.
     *
     * @throws IllegalArgumentException naming the first bad expression
     */
    public void register(String functionId, Collection<String> crons) {
        Objects.requireNonNull(functionId, "functionId");
        List<CronSchedule> schedules = crons.stream().distinct().map(CronSchedule::parse).toList();
        lock.lock();
        try {
            if (schedules.isEmpty()) {
                byFunction.remove(functionId);
            } else {
                Instant now = clock.instant();
                List<Entry> entries = new ArrayList<>(schedules.size());
                for (CronSchedule schedule : schedules) {
                    Entry entry = new Entry(functionId, schedule, now);
                    entry.next = nextAfter(entry, now);
                    entries.add(entry);
                }
                byFunction.put(functionId, entries);
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Removes every schedule of a function (the function was removed from its app). */
    public void unregister(String functionId) {
        register(functionId, List.of());
    }

    /** The earliest next firing of a function's schedules, if it has any. */
    public Optional<Instant> nextFiring(String functionId) {
        lock.lock();
        try {
            return byFunction.getOrDefault(functionId, List.of()).stream().map(e -> e.next).min(Instant::compareTo);
        } finally {
            lock.unlock();
        }
    }

    /** The functions that have schedules. */
    public List<String> functionIds() {
        lock.lock();
        try {
            return List.copyOf(byFunction.keySet());
        } finally {
            lock.unlock();
        }
    }

    /** Stops the scheduling thread and waits briefly for it to exit. Idempotent. */
    @Override
    public void close() {
        Thread toJoin;
        lock.lock();
        try {
            closed = true;
            toJoin = loop;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        if (toJoin != null) {
            try {
                toJoin.join(Duration.ofSeconds(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void run() {
        while (true) {
            List<Entry> due = new ArrayList<>();
            List<Instant> dueTimes = new ArrayList<>();
            lock.lock();
            try {
                if (closed) {
                    return;
                }
                Instant now = clock.instant();
                Instant earliest = null;
                for (List<Entry> entries : byFunction.values()) {
                    for (Entry entry : entries) {
                        if (!entry.next.isAfter(now)) {
                            due.add(entry);
                            dueTimes.add(entry.next);
                            entry.next = nextAfter(entry, now);
                        }
                        if (earliest == null || entry.next.isBefore(earliest)) {
                            earliest = entry.next;
                        }
                    }
                }
                if (due.isEmpty()) {
                    long wait = recheckNanos;
                    if (earliest != null && earliest.isBefore(now.plusNanos(wait))) {
                        wait = Math.max(1, Duration.between(now, earliest).toNanos());
                    }
                    changed.awaitNanos(wait);
                }
            } catch (InterruptedException e) {
                return;
            } finally {
                lock.unlock();
            }
            for (int i = 0; i < due.size(); i++) {
                dispatch(due.get(i), dueTimes.get(i));
            }
        }
    }

    /** A schedule that cannot say when it fires next is parked rather than allowed to stop the loop. */
    private static Instant nextAfter(Entry entry, Instant now) {
        try {
            return entry.schedule.nextAfter(now);
        } catch (RuntimeException e) {
            LOG.warn("cron \"{}\" of function {} has no next firing after {}; it will not fire again until re-registered",
                    entry.schedule, entry.functionId, now, e);
            return Instant.MAX;
        }
    }

    private void dispatch(Entry entry, Instant scheduledAt) {
        Thread.ofVirtual().name("loomstep-cron-" + entry.functionId).start(() -> {
            try {
                listener.onFire(entry.functionId, entry.schedule, scheduledAt);
            } catch (RuntimeException e) {
                LOG.warn("cron listener failed for function {} schedule \"{}\" at {}", entry.functionId, entry.schedule, scheduledAt, e);
            }
        });
    }

    private static final class Entry {
        final String functionId;
        final CronSchedule schedule;
        Instant next;

        Entry(String functionId, CronSchedule schedule, Instant next) {
            this.functionId = functionId;
            this.schedule = schedule;
            this.next = next;
        }
    }
}
