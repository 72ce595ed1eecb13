package dev.loomstep.devserver.flow;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Function idempotency ({@code idempotency: "event.data.order_id"}): at most one run per function
 * and key value in any 24 hours. The first event with a key claims it; later events with the same key
 * start no run until 24 hours after the claim.
 *
 * <p>Thread-safe: of two events racing for a free key exactly one wins. Expired claims are forgotten.
 */
public final class IdempotencyGuard {
    /** How long a claimed key blocks further runs, as in Inngest. */
    public static final Duration WINDOW = Duration.ofHours(24);

    private static final int SWEEP_EVERY = 1024;

    private final InstantSource clock;
    private final Duration window;
    private final ConcurrentHashMap<String, Instant> claims = new ConcurrentHashMap<>();
    private final AtomicInteger calls = new AtomicInteger();

    public IdempotencyGuard(InstantSource clock) {
        this(clock, WINDOW);
    }

    /** A guard with a shorter or longer window (tests, demos). */
    public IdempotencyGuard(InstantSource clock, Duration window) {
        this.clock = Objects.requireNonNull(clock, "clock");
        if (window.isNegative() || window.isZero()) {
            throw new IllegalArgumentException("the idempotency window must be positive, got " + window);
        }
        this.window = window;
    }

    /**
     * Claims the key for a run: true when the run may start (the key is now claimed), false when a
     * run already claimed it within the window (skip this event).
     *
     * @param keyExpression CEL over {@code event}; see {@link FlowKeys} for how results become keys
     * @throws IllegalArgumentException when the expression does not compile
     */
    public boolean tryClaim(String functionId, String keyExpression, JsonNode event) {
        Objects.requireNonNull(keyExpression, "keyExpression");
        return tryClaimKey(FlowKeys.scoped(functionId, keyExpression, event));
    }

    /** {@link #tryClaim} for a key the caller computed. */
    public boolean tryClaimKey(String key) {
        Instant now = clock.instant();
        boolean[] claimed = new boolean[1];
        claims.compute(key, (k, at) -> {
            if (at != null && now.isBefore(at.plus(window))) {
                return at;
            }
            claimed[0] = true;
            return now;
        });
        if (calls.incrementAndGet() % SWEEP_EVERY == 0) {
            Instant oldest = now.minus(window);
            claims.entrySet().removeIf(e -> !e.getValue().isAfter(oldest));
        }
        return claimed[0];
    }

    /** How long a claim blocks further runs. */
    public Duration window() {
        return window;
    }

    /** Puts back a claim saved earlier (start-up); an expired one is ignored, a later one already known wins. */
    public void restore(String key, Instant claimedAt) {
        if (clock.instant().isBefore(claimedAt.plus(window))) {
            claims.merge(key, claimedAt, (a, b) -> a.isAfter(b) ? a : b);
        }
    }

    int trackedKeys() {
        return claims.size();
    }
}
