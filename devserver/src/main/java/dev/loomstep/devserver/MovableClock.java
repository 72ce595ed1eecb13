package dev.loomstep.devserver;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;

/**
 * A clock for the devserver's {@code DevServer.Builder.clock}: starts at a chosen instant, ticks with
 * real time, and a test can move it forward, so a cron firing or a 72-hour timeout falls due at once.
 * It never moves back: the devserver's queue assumes time only goes forward.
 */
public final class MovableClock implements InstantSource {
    private final Instant origin;
    private final long startNanos = System.nanoTime();
    private volatile long offsetNanos;

    public MovableClock(Instant origin) {
        this.origin = origin;
    }

    @Override
    public Instant instant() {
        return origin.plusNanos(System.nanoTime() - startNanos + offsetNanos);
    }

    /** Moves the clock forward by {@code by}. */
    public synchronized void advance(Duration by) {
        if (by.isNegative()) {
            throw new IllegalArgumentException("the clock only moves forward, not by " + by);
        }
        offsetNanos += by.toNanos();
    }

    /** Moves the clock forward to {@code target}; refuses to move it back. */
    public synchronized void advanceTo(Instant target) {
        Duration by = Duration.between(instant(), target);
        if (by.isNegative()) {
            throw new IllegalArgumentException("the clock is at " + instant() + ", past " + target + "; it only moves forward");
        }
        offsetNanos += by.toNanos();
    }
}
