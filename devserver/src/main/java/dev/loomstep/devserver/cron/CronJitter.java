package dev.loomstep.devserver.cron;

import java.time.Duration;
import java.time.Instant;
import java.util.random.RandomGenerator;

/**
 * A cron trigger's {@code jitter}: each firing is due a random delay of at most the jitter after its
 * scheduled time, so that functions sharing a schedule do not all start in the same second. The next
 * firing is still computed from the scheduled time, so a jitter never shifts or skips the schedule.
 */
public final class CronJitter {
    private CronJitter() {}

    /** When the firing scheduled at {@code scheduled} is due: uniformly in [scheduled, scheduled + jitter]. */
    public static Instant due(Instant scheduled, Duration jitter, RandomGenerator random) {
        if (jitter == null || jitter.isZero() || jitter.isNegative()) {
            return scheduled;
        }
        return scheduled.plusMillis(random.nextLong(jitter.toMillis() + 1));
    }

    /**
     * After which instant to look for the next firing once the firing scheduled at {@code scheduled} ran at
     * {@code now}: the scheduled time, unless the clock jumped past more than the jitter (a sleeping laptop),
     * when the firings missed in between collapse into none, as without jitter.
     */
    public static Instant nextAfter(Instant scheduled, Instant now, Duration jitter) {
        Instant lateBoundary = jitter == null ? now : now.minus(jitter);
        return lateBoundary.isAfter(scheduled) ? lateBoundary : scheduled;
    }
}
