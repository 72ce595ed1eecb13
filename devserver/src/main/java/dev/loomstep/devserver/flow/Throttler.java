package dev.loomstep.devserver.flow;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.devserver.expr.CelCompiler;
import dev.loomstep.flow.Throttle;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Objects;

/**
 * Throttling ({@code throttle: {limit, period, burst, key}}): limits how fast runs start, delaying
 * the excess instead of dropping it.
 *
 * <p>Inngest's throttle is a GCRA whose idle key admits {@code limit + burst} starts at once and then
 * refills at {@code limit} per {@code period} (one every {@code period / limit}). {@link #acquire}
 * either takes a start slot now (returns zero) or says how long to wait before asking again, taking
 * nothing: the caller keeps the run queued and retries after the delay. Runs asking together after
 * a delay compete for the slot; the losers get a new delay. Each value of {@code key} (CEL over
 * {@code event}) is throttled separately.
 *
 * <p>Thread-safe; state lives in memory (a {@link WindowListener} can save it) and idle keys are forgotten.
 */
public final class Throttler {
    private final InstantSource clock;
    private final Gcra gcra;

    public Throttler(InstantSource clock) {
        this(clock, WindowListener.NONE);
    }

    /** With a listener told of each key's new window after every start this limiter counts. */
    public Throttler(InstantSource clock, WindowListener listener) {
        this.clock = Objects.requireNonNull(clock, "clock");
        this.gcra = new Gcra(listener);
    }

    /** Puts back a key's window saved earlier (see {@link WindowListener}); a later one already known wins. */
    public void restore(String key, long tatNanos) {
        gcra.restore(key, tatNanos);
    }

    /**
     * Takes a start slot for a run of this function triggered by {@code event}.
     *
     * @return {@link Duration#ZERO} when the run may start now (the slot is taken), else the delay
     *     after which to ask again
     * @throws IllegalArgumentException when the config is invalid (see {@link #validate})
     */
    public Duration acquire(String functionId, Throttle config, JsonNode event) {
        Window w = window(functionId, config, event);
        return Duration.ofNanos(gcra.tryTake(w.key, Gcra.nanos(clock.instant()), w.interval, w.capacity));
    }

    /**
     * Reserves a start slot for a run: the slot is taken now, and the returned delay says when the run
     * may start (zero: at once). Runs that reserve together get successive slots, one every
     * {@code period / limit} after the burst, so the caller can schedule each run at its own time
     * instead of asking again.
     *
     * @throws IllegalArgumentException when the config is invalid (see {@link #validate})
     */
    public Duration reserve(String functionId, Throttle config, JsonNode event) {
        Window w = window(functionId, config, event);
        return Duration.ofNanos(gcra.reserve(w.key, Gcra.nanos(clock.instant()), w.interval, w.capacity));
    }

    /** Gives back the slot {@link #acquire} or {@link #reserve} took for this event, when its run was not created after all. */
    public void giveBack(String functionId, Throttle config, JsonNode event) {
        Window w = window(functionId, config, event);
        gcra.giveBack(w.key, Gcra.nanos(clock.instant()), w.interval);
    }

    /** The GCRA parameters of a throttle for one event: its key, one slot per interval, limit + burst at once. */
    private record Window(String key, long interval, long capacity) {}

    private static Window window(String functionId, Throttle config, JsonNode event) {
        validate(config);
        int burst = config.burst() == null ? 0 : config.burst();
        return new Window(FlowKeys.scoped(functionId, config.key(), event),
                Math.max(1, config.period().toNanos() / config.limit()), (long) config.limit() + burst);
    }

    /**
     * Checks a config: a positive limit, a burst of zero or more, a period from 1 s to 7 days, a key
     * that compiles.
     *
     * @throws IllegalArgumentException with a one-line message
     */
    public static void validate(Throttle config) {
        Objects.requireNonNull(config, "throttle");
        if (config.limit() <= 0) {
            throw new IllegalArgumentException("invalid throttle: limit must be at least 1, got " + config.limit());
        }
        if (config.burst() != null && config.burst() < 0) {
            throw new IllegalArgumentException("invalid throttle: burst must be 0 or more, got " + config.burst());
        }
        RateLimiter.requirePeriod("throttle", config.period(), Duration.ofDays(7));
        if (config.key() != null && !config.key().isBlank()) {
            CelCompiler.validate(config.key());
        }
    }

    int trackedKeys() {
        return gcra.size();
    }
}
