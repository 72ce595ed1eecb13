package dev.loomstep.devserver.flow;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.devserver.expr.CelCompiler;
import dev.loomstep.flow.RateLimit;
import dev.loomstep.protocol.TimeStrings;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Objects;

/**
 * Rate limiting ({@code rateLimit: {limit, period, key}}): decides whether an event may start a run;
 * an event over the limit starts no run at all (it is dropped, not delayed).
 *
 * <p>As in Inngest, the window is a GCRA, not a fixed window: starts are spread evenly, one per
 * {@code period / limit}, and an idle key may start {@code 1 + limit / 10} runs at once. So
 * {@code {limit: 1, period: 1h}} allows one run per hour, and {@code {limit: 10, period: 1m}} allows two
 * at once and then one every six seconds. Each value of {@code key} (CEL over {@code event}) is limited
 * separately; a key that evaluates to {@code false} exempts the event.
 *
 * <p>Thread-safe; state lives in memory (a {@link WindowListener} can save it) and idle keys are forgotten.
 */
public final class RateLimiter {
    private final InstantSource clock;
    private final Gcra gcra;

    public RateLimiter(InstantSource clock) {
        this(clock, WindowListener.NONE);
    }

    /** With a listener told of each key's new window after every start this limiter counts. */
    public RateLimiter(InstantSource clock, WindowListener listener) {
        this.clock = Objects.requireNonNull(clock, "clock");
        this.gcra = new Gcra(listener);
    }

    /** Puts back a key's window saved earlier (see {@link WindowListener}); a later one already known wins. */
    public void restore(String key, long tatNanos) {
        gcra.restore(key, tatNanos);
    }

    /**
     * Whether this event may start a run of the function; when it may, the start is counted.
     *
     * @throws IllegalArgumentException when the config is invalid (see {@link #validate})
     */
    public boolean allow(String functionId, RateLimit config, JsonNode event) {
        validate(config);
        if (FlowKeys.isFalse(config.key(), event)) {
            return true;
        }
        String key = FlowKeys.scoped(functionId, config.key(), event);
        long interval = Math.max(1, config.period().toNanos() / config.limit());
        return gcra.tryTake(key, Gcra.nanos(clock.instant()), interval, 1 + config.limit() / 10) == 0;
    }

    /** Gives back the start {@link #allow} counted for this event, when the event was not saved after all. */
    public void giveBack(String functionId, RateLimit config, JsonNode event) {
        if (FlowKeys.isFalse(config.key(), event)) {
            return;
        }
        gcra.giveBack(FlowKeys.scoped(functionId, config.key(), event), Gcra.nanos(clock.instant()),
                Math.max(1, config.period().toNanos() / config.limit()));
    }

    /**
     * Checks a config as Inngest does at sync: a positive limit, a period from 1 s to 24 h, a key
     * that compiles.
     *
     * @throws IllegalArgumentException with a one-line message
     */
    public static void validate(RateLimit config) {
        Objects.requireNonNull(config, "rateLimit");
        if (config.limit() <= 0) {
            throw new IllegalArgumentException("invalid rateLimit: limit must be at least 1, got " + config.limit());
        }
        requirePeriod("rateLimit", config.period(), Duration.ofHours(24));
        if (config.key() != null && !config.key().isBlank()) {
            CelCompiler.validate(config.key());
        }
    }

    static void requirePeriod(String what, Duration period, Duration max) {
        if (period == null || period.compareTo(Duration.ofSeconds(1)) < 0 || period.compareTo(max) > 0) {
            throw new IllegalArgumentException("invalid " + what + ": period must be between 1s and "
                    + TimeStrings.format(max) + ", got " + describe(period));
        }
    }

    static String describe(Duration d) {
        if (d == null) {
            return "none";
        }
        return d.isNegative() ? "-" + TimeStrings.format(d.negated()) : TimeStrings.format(d);
    }

    int trackedKeys() {
        return gcra.size();
    }
}
