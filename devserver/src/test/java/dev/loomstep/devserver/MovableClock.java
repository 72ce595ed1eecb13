package dev.loomstep.devserver;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;

/**
 * A clock for {@link DevServer.Builder#clock}: starts at a chosen instant, ticks with real time, and a
 * test can move it forward (to make a cron firing due without waiting for it).
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

    /** Moves the clock forward to {@code target}; refuses to move it back. */
    synchronized void advanceTo(Instant target) {
        Duration by = Duration.between(instant(), target);
        if (by.isNegative()) {
            throw new IllegalArgumentException("the clock is at " + instant() + ", past " + target + "; it only moves forward");
        }
        offsetNanos += by.toNanos();
    }
}
