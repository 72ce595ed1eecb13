package dev.loomstep.devserver.expr;

import dev.loomstep.Event;
import dev.loomstep.protocol.Json;

/**
 * The {@link Conditions} backed by the CEL evaluator
 * ({@link dev.loomstep.devserver.expr.CelCompiler}): compiled once per text, {@code event} = the run's
 * trigger, {@code async} = the incoming event. An expression that does not compile throws (logged by
 * the caller as no match); one that fails at run time (a missing field) is no match.
 */
public final class CelConditions implements dev.loomstep.devserver.expr.Conditions {

    @Override
    public boolean trigger(String expression, Event event) {
        return blank(expression) || CelCompiler.compile(expression).matches(Json.toTree(event));
    }

    @Override
    public boolean waitFor(String ifExpression, String match, Event trigger, Event candidate) {
        String condition = CelCompiler.waitForEventCondition(ifExpression, match);
        return condition == null || CelCompiler.compile(condition).matches(Json.toTree(trigger), Json.toTree(candidate));
    }

    @Override
    public boolean cancel(String ifExpression, Event trigger, Event candidate) {
        return blank(ifExpression) || CelCompiler.compile(ifExpression).matches(Json.toTree(trigger), Json.toTree(candidate));
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}
