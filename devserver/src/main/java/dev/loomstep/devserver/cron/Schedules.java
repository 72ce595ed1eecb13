package dev.loomstep.devserver.cron;

import java.time.Instant;
import java.util.Optional;

/**
 * Cron schedules ({@code "*\/5 * * * *"}, {@code "TZ=Europe/Paris 0 9 * * 1"}). The devserver keeps one
 * durable CRON queue item per schedule and fires an {@code inngest/scheduled.timer} run at each time
 * this returns, so schedules survive restarts.
 */
public interface Schedules {

    /**
     * The first fire time strictly after {@code after}, or empty when the schedule never fires again.
     *
     * @throws IllegalArgumentException with a one-line reason when {@code cron} is not a valid schedule
     */
    Optional<Instant> next(String cron, Instant after);

    /** Schedules parsed by {@link CronSchedule} (what Inngest accepts: five fields, optional TZ=). */
    static Schedules cron() {
        return (cron, after) -> {
            CronSchedule schedule = CronSchedule.parse(cron);
            try {
                return Optional.of(schedule.nextAfter(after));
            } catch (IllegalStateException neverAgain) {
                return Optional.empty();
            }
        };
    }
}
