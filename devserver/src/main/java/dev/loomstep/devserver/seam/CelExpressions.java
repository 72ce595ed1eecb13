package dev.loomstep.devserver.seam;

import dev.loomstep.Event;
import dev.loomstep.devserver.expr.Expressions;
import dev.loomstep.protocol.Json;

/**
 * The {@link dev.loomstep.devserver.seam.Expressions} seam backed by the CEL evaluator
 * ({@link dev.loomstep.devserver.expr.Expressions}): compiled once per text, {@code event} = the run's
 * trigger, {@code async} = the incoming event. An expression that does not compile throws (logged by
 * the caller as no match); one that fails at run time (a missing field) is no match.
 */
public final class CelExpressions implements dev.loomstep.devserver.seam.Expressions {

    @Override
    public boolean trigger(String expression, Event event) {
        return blank(expression) || Expressions.compile(expression).matches(Json.toTree(event));
    }

    @Override
    public boolean waitFor(String ifExpression, String match, Event trigger, Event candidate) {
        String condition = Expressions.waitForEventCondition(ifExpression, match);
        return condition == null || Expressions.compile(condition).matches(Json.toTree(trigger), Json.toTree(candidate));
    }

    @Override
    public boolean cancel(String ifExpression, Event trigger, Event candidate) {
        return blank(ifExpression) || Expressions.compile(ifExpression).matches(Json.toTree(trigger), Json.toTree(candidate));
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}
