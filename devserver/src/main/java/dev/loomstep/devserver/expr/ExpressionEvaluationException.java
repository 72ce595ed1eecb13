package dev.loomstep.devserver.expr;

/**
 * A compiled expression failed while evaluating against concrete data, most often because it reads
 * a field the event does not have ({@code event.data.missing}) or mixes types CEL does not combine
 * ({@code "a" + 1}). The message names the expression and the problem on one line.
 */
public final class ExpressionEvaluationException extends RuntimeException {
    private final String expression;

    ExpressionEvaluationException(String expression, String problem, Throwable cause) {
        super("expression \"" + expression + "\" failed: " + problem, cause);
        this.expression = expression;
    }

    /** The CEL source that failed. */
    public String expression() {
        return expression;
    }
}
