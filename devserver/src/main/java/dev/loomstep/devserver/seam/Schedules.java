package dev.loomstep.devserver.seam;

import java.time.Instant;
import java.util.Optional;

/**
 * SEAM — cron schedules ({@code "*\/5 * * * *"}, {@code "TZ=Europe/Paris 0 9 * * 1"}). The implementation
 * ({@code dev.loomstep.devserver.cron}) is being built on another branch; the devserver already keeps a
 * durable CRON queue item per schedule and fires {@code inngest/scheduled.timer} runs at the times this
 * returns.
 */
public interface Schedules {

    /**
     * The first fire time strictly after {@code after}, or empty when the schedule never fires again.
     *
     * @throws IllegalArgumentException with a one-line reason when {@code cron} is not a valid schedule
     */
    Optional<Instant> next(String cron, Instant after);

    /** STOPGAP: cron is not supported until the real implementation is wired in. */
    static Schedules unsupported() {
        return (cron, after) -> {
            throw new IllegalArgumentException("cron triggers are not supported by this devserver build yet (schedule \"" + cron + "\")");
        };
    }
}
