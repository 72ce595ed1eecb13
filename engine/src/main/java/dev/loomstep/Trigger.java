package dev.loomstep;

import java.time.Duration;

/**
 * What starts a function: an event (with an optional CEL expression over {@code event}) or a cron
 * schedule (optionally prefixed with {@code TZ=Area/City }).
 */
public sealed interface Trigger permits Trigger.OnEvent, Trigger.OnCron {

    /** Runs on every event named {@code name}; a trailing {@code *} matches a prefix ({@code "app/*"}). */
    static OnEvent event(String name) {
        return new OnEvent(name, null);
    }

    /** Runs on events named {@code name} for which the CEL {@code expression} holds. */
    static OnEvent event(String name, String expression) {
        return new OnEvent(name, expression);
    }

    /** Runs on a cron schedule, e.g. {@code "0 9 * * MON"} or {@code "TZ=Europe/Paris 0 9 * * *"}. */
    static OnCron cron(String schedule) {
        return new OnCron(schedule, null);
    }

    record OnEvent(String name, String expression) implements Trigger {
        public OnEvent {
            Checks.notBlank(name, "a trigger's event name");
        }
    }

    /**
     * A cron schedule; with a {@code jitter}, each firing is delayed by a random amount up to it, so that
     * many functions on the same schedule do not all start at the same second.
     */
    record OnCron(String schedule, Duration jitter) implements Trigger {
        public OnCron {
            Checks.notBlank(schedule, "a cron trigger's schedule");
            if (jitter != null && (jitter.isNegative() || jitter.isZero())) {
                throw new IllegalArgumentException("a cron trigger's jitter must be positive, got " + jitter);
            }
        }

        /** The same schedule, each firing delayed by a random amount of at most {@code upTo}. */
        public OnCron jitter(Duration upTo) {
            return new OnCron(schedule, Checks.notNull(upTo, "a cron trigger's jitter"));
        }
    }
}
