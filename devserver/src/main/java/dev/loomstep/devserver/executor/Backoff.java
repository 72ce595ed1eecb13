package dev.loomstep.devserver.executor;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Inngest's retry schedule (pkg/backoff): 15 s, 30 s, 1 m, 2 m, 5 m, 10 m, 20 m, 40 m, 1 h, then 2 h,
 * plus up to 30 s of jitter, all multiplied by {@code scale} ({@code --retry-delay-scale}) so tests and
 * demos can shrink it.
 */
public final class Backoff {
    private static final long[] TABLE_MS = {
        15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 1_200_000, 2_400_000, 3_600_000, 7_200_000,
    };
    private static final long MAX_JITTER_MS = 30_000;

    private final double scale;

    public Backoff(double scale) {
        if (!(scale >= 0) || Double.isInfinite(scale)) {
            throw new IllegalArgumentException("the retry delay scale must be a finite number >= 0, got " + scale);
        }
        this.scale = scale;
    }

    public double scale() {
        return scale;
    }

    /** The delay before the next attempt after attempt {@code attempt} (0-based) failed. */
    public Duration after(int attempt) {
        long base = TABLE_MS[Math.min(Math.max(attempt, 0), TABLE_MS.length - 1)];
        long jitter = ThreadLocalRandom.current().nextLong(MAX_JITTER_MS + 1);
        return Duration.ofMillis(Math.round((base + jitter) * scale));
    }
}
