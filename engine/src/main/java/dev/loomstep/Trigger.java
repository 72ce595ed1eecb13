package dev.loomstep;

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
        return new OnCron(schedule);
    }

    record OnEvent(String name, String expression) implements Trigger {
        public OnEvent {
            Checks.notBlank(name, "a trigger's event name");
        }
    }

    record OnCron(String schedule) implements Trigger {
        public OnCron {
            Checks.notBlank(schedule, "a cron trigger's schedule");
        }
    }
}
