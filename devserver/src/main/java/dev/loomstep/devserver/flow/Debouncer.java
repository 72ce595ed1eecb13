package dev.loomstep.devserver.flow;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.devserver.expr.CelCompiler;
import dev.loomstep.flow.Debounce;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Debouncing ({@code debounce: {period, key, timeout}}): holds events per key and starts one run
 * {@code period} after the last of them, with that last event. Each new event for the key replaces
 * the held one and pushes the start back to {@code now + period}, but never beyond {@code timeout}
 * after the first held event, so a steady stream still runs now and then. As in Inngest, an event
 * whose {@code ts} is older than the held event's does not replace it.
 *
 * <p>Pure bookkeeping: the caller offers events with {@link #offer} (first starting the run of the
 * key's held event if {@link #takeDueFor} finds it due: its period is over, whether or not the timer
 * has run), asks {@link #nextDue()} when to wake up, and then starts a run for each {@link Pending}
 * that {@link #takeDue()} hands over.
 *
 * <pre>{@code
 * debouncer.offer(fnId, fn.debounce(), eventJson);
 * timer.wakeAt(debouncer.nextDue());          // then:
 * for (Debouncer.Pending p : debouncer.takeDue()) startRun(p.functionId(), p.event());
 * }</pre>
 *
 * Thread-safe.
 */
public final class Debouncer {
    /**
     * A held event.
     *
     * @param functionId the function to run
     * @param key the function-scoped debounce key
     * @param event the event the run starts with (the last accepted one)
     * @param firstAt when the first event of this debounce arrived
     * @param fireAt when the run should start
     */
    public record Pending(String functionId, String key, JsonNode event, Instant firstAt, Instant fireAt) {}

    private final InstantSource clock;
    private final ReentrantLock lock = new ReentrantLock();
    private final Map<String, Pending> byKey = new HashMap<>();

    public Debouncer(InstantSource clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * Holds {@code event} for its key, replacing an older held event, and returns the debounce as it
     * now stands.
     *
     * @throws IllegalArgumentException when the config is invalid (see {@link #validate})
     */
    public Pending offer(String functionId, Debounce config, JsonNode event) {
        return offer(functionId, config, event, clock.instant());
    }

    /**
     * {@link #offer(String, Debounce, JsonNode)} for an event admitted at {@code now}: the period runs from
     * the admission, not from when this bookkeeping got to it (compiling the key's expression on a cold,
     * loaded JVM took over a second in the soak).
     */
    public Pending offer(String functionId, Debounce config, JsonNode event, Instant now) {
        validate(config);
        String key = FlowKeys.scoped(functionId, config.key(), event);
        lock.lock();
        try {
            Pending held = byKey.get(key);
            if (held != null && isOlder(event, held.event())) {
                return held;
            }
            Instant firstAt = held == null ? now : held.firstAt();
            Instant fireAt = now.plus(config.period());
            if (config.timeout() != null) {
                Instant cap = firstAt.plus(config.timeout());
                if (fireAt.isAfter(cap)) {
                    fireAt = cap.isBefore(now) ? now : cap;
                }
            }
            Pending next = new Pending(functionId, key, event, firstAt, fireAt);
            byKey.put(key, next);
            return next;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Removes and returns the debounce held for {@code event}'s key when it is already due: its period
     * ended before this event came, so its run must start (the caller starts it before offering the
     * event, which then opens the key's next debounce). Without this, an event that came after the
     * period but before the timer ran (late on a loaded machine, or not yet run after a restart)
     * replaced the held one, and the run it was due was never started.
     *
     * @throws IllegalArgumentException when the config is invalid (see {@link #validate})
     */
    public Optional<Pending> takeDueFor(String functionId, Debounce config, JsonNode event) {
        return takeDueFor(functionId, config, event, clock.instant());
    }

    /** {@link #takeDueFor(String, Debounce, JsonNode)} for an event admitted at {@code now}. */
    public Optional<Pending> takeDueFor(String functionId, Debounce config, JsonNode event, Instant now) {
        validate(config);
        String key = FlowKeys.scoped(functionId, config.key(), event);
        lock.lock();
        try {
            Pending held = byKey.get(key);
            if (held == null || held.fireAt().isAfter(now)) {
                return Optional.empty();
            }
            byKey.remove(key);
            return Optional.of(held);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Holds a debounce saved earlier (start-up), unless its key already holds one: what is in memory
     * came from an event accepted since, so it is the newer.
     */
    public void restore(Pending pending) {
        Objects.requireNonNull(pending, "pending");
        lock.lock();
        try {
            byKey.putIfAbsent(pending.key(), pending);
        } finally {
            lock.unlock();
        }
    }

    /** Removes and returns every debounce whose time has come, earliest first. */
    public List<Pending> takeDue() {
        Instant now = clock.instant();
        lock.lock();
        try {
            List<Pending> due = new ArrayList<>();
            byKey.values().removeIf(p -> {
                if (p.fireAt().isAfter(now)) {
                    return false;
                }
                due.add(p);
                return true;
            });
            due.sort(Comparator.comparing(Pending::fireAt));
            return due;
        } finally {
            lock.unlock();
        }
    }

    /** When the earliest held debounce is due, if any is held. */
    public Optional<Instant> nextDue() {
        lock.lock();
        try {
            return byKey.values().stream().map(Pending::fireAt).min(Comparator.naturalOrder());
        } finally {
            lock.unlock();
        }
    }

    /** Every held debounce, earliest first (for the UI and for persisting). */
    public List<Pending> pending() {
        lock.lock();
        try {
            return byKey.values().stream().sorted(Comparator.comparing(Pending::fireAt)).toList();
        } finally {
            lock.unlock();
        }
    }

    /** Drops the held debounces of a function (it was removed, or its config changed); returns them. */
    public List<Pending> removeFunction(String functionId) {
        lock.lock();
        try {
            List<Pending> removed = new ArrayList<>();
            byKey.values().removeIf(p -> {
                if (!p.functionId().equals(functionId)) {
                    return false;
                }
                removed.add(p);
                return true;
            });
            return removed;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Checks a config: a period from 1 s to 7 days, a positive timeout if any, a key that compiles.
     *
     * @throws IllegalArgumentException with a one-line message
     */
    public static void validate(Debounce config) {
        Objects.requireNonNull(config, "debounce");
        RateLimiter.requirePeriod("debounce", config.period(), Duration.ofDays(7));
        if (config.timeout() != null && (config.timeout().isNegative() || config.timeout().isZero())) {
            throw new IllegalArgumentException("invalid debounce: timeout must be positive, got " + RateLimiter.describe(config.timeout()));
        }
        if (config.key() != null && !config.key().isBlank()) {
            CelCompiler.validate(config.key());
        }
    }

    /** Only events that both carry {@code ts} are ordered; without one, the newer arrival wins. */
    private static boolean isOlder(JsonNode event, JsonNode held) {
        JsonNode ts = event == null ? null : event.get("ts");
        JsonNode heldTs = held == null ? null : held.get("ts");
        return ts != null && heldTs != null && ts.isNumber() && heldTs.isNumber() && ts.asLong() < heldTs.asLong();
    }
}
