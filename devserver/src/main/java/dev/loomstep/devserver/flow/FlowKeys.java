package dev.loomstep.devserver.flow;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.devserver.expr.CompiledExpression;
import dev.loomstep.devserver.expr.ExpressionEvaluationException;
import dev.loomstep.devserver.expr.CelCompiler;

/**
 * Flow-control keys: the CEL {@code key} of a config evaluated over the triggering {@code event}.
 *
 * <p>The result becomes a string: a string as it is, whole numbers without a fraction, maps and lists
 * as JSON (see {@link CompiledExpression#evaluateKey}). When evaluation fails, usually because the
 * event lacks the field, the key is {@value #NULL_KEY}: Inngest reads a missing field as null, so
 * such events share one key there too. A config without a key expression gives the empty key, one
 * bucket for the whole function.
 */
public final class FlowKeys {
    /** The key of an event whose key expression failed (a missing field), or evaluated to null. */
    public static final String NULL_KEY = "null";

    private FlowKeys() {}

    /**
     * The evaluated key, {@code ""} when {@code expression} is null or blank.
     *
     * @throws IllegalArgumentException when the expression does not compile
     */
    public static String evaluate(String expression, JsonNode event) {
        if (expression == null || expression.isBlank()) {
            return "";
        }
        CompiledExpression compiled = CelCompiler.compile(expression);
        try {
            return compiled.evaluateKey(event);
        } catch (ExpressionEvaluationException e) {
            return NULL_KEY;
        }
    }

    /** {@code functionId} and the evaluated key joined, so two functions never share a bucket. */
    public static String scoped(String functionId, String expression, JsonNode event) {
        return functionId + ':' + evaluate(expression, event);
    }

    /**
     * Whether the key expression evaluates to boolean {@code false}: for rate limits and singletons
     * Inngest then does not apply the limit to this event at all.
     */
    static boolean isFalse(String expression, JsonNode event) {
        if (expression == null || expression.isBlank()) {
            return false;
        }
        try {
            return Boolean.FALSE.equals(CelCompiler.compile(expression).evaluate(event, null));
        } catch (ExpressionEvaluationException e) {
            return false;
        }
    }
}
