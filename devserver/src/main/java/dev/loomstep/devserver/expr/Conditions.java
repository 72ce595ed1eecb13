package dev.loomstep.devserver.expr;

import dev.loomstep.Event;

/**
 * Evaluates the CEL expressions of function configs for the executor ({@link CelConditions} in
 * production). Implementations throw {@link IllegalArgumentException} with a one-line reason for an
 * expression that does not compile; the devserver logs it and treats it as not matching.
 */
public interface Conditions {

    /** A trigger's {@code expression} over {@code event}; null means "always". */
    boolean trigger(String expression, Event event);

    /**
     * A waitForEvent condition: CEL {@code ifExpression} over {@code event} (the run's trigger) and
     * {@code async} (the candidate), or the legacy {@code match} ({@code "data.id"} means
     * {@code event.data.id == async.data.id}). Both null means "any event of that name".
     */
    boolean waitFor(String ifExpression, String match, Event trigger, Event candidate);

    /** A {@code cancel} entry's {@code if} over {@code event} (the run's trigger) and {@code async} (the cancelling event). */
    boolean cancel(String ifExpression, Event trigger, Event candidate);
}
