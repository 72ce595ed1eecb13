package dev.loomstep.examples;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;

/**
 * A clock for {@code DevServer.Builder.clock}: ticks with real time from a chosen instant, and a test
 * can move it forward, so a 72-hour timeout falls due at once. (The devserver's tests have their own;
 * test classes are not shared between modules.)
 */
final class MovableClock implements InstantSource {
    private final Instant origin;
    private final long startNanos = System.nanoTime();
    private volatile long offsetNanos;

    MovableClock(Instant origin) {
        this.origin = origin;
    }

    @Override
    public Instant instant() {
        return origin.plusNanos(System.nanoTime() - startNanos + offsetNanos);
    }

    /** Moves the clock forward by {@code by}. */
    synchronized void advance(Duration by) {
        if (by.isNegative()) {
            throw new IllegalArgumentException("the clock only moves forward, not by " + by);
        }
        offsetNanos += by.toNanos();
    }
}
