package dev.loomstep;

import java.time.Duration;

/**
 * What starts a function: an event (with an optional CEL expression over {@code event}) or a cron
 * schedule (optionally prefixed with {@code TZ=Area/City }).
 */
public sealed interface Trigger permits Trigger.OnEvent, Trigger.OnCron, Trigger.OnDefer {

    /** The event the executor sends, when a run that deferred a function's run has finished, to start it. */
    String DEFERRED_SCHEDULE_EVENT = "inngest/deferred.schedule";

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

    /**
     * Runs when another run deferred this function ({@link Step#defer}) and has finished. Synced as the JS
     * SDK's {@code createDefer} syncs it: event {@value #DEFERRED_SCHEDULE_EVENT} for this function's slug.
     */
    static OnDefer deferred() {
        return OnDefer.INSTANCE;
    }

    /** See {@link #deferred()}. */
    record OnDefer() implements Trigger {
        static final OnDefer INSTANCE = new OnDefer();

        /** The trigger expression that picks this function's deferred runs, {@code slug} = {@code {appId}-{functionId}}. */
        public static String expression(String slug) {
            return "event.data._inngest.fn_slug == '" + slug + "'";
        }
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
