package dev.loomstep.devserver.expr;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.CelVariableResolver;
import java.util.Map;
import java.util.Optional;

/**
 * A CEL expression compiled once and evaluated many times, from any thread. The variables are
 * {@code event} (the triggering event) and {@code async} (the incoming event, for waitForEvent and
 * cancellation), each a JSON object; pass {@code null} for one the caller does not have, and it
 * evaluates as an empty map.
 *
 * <pre>{@code
 * CompiledExpression expr = CelCompiler.compile("event.data.user_id == async.data.user_id");
 * boolean resumes = expr.matches(runTrigger, incoming);
 * }</pre>
 */
public final class CompiledExpression {
    private final String source;
    private final CelRuntime.Program program;

    CompiledExpression(String source, CelRuntime.Program program) {
        this.source = source;
        this.program = program;
    }

    /** The CEL text this was compiled from. */
    public String source() {
        return source;
    }

    /**
     * Whether the expression is {@code true} for this data. Anything else counts as no match: a
     * result that is not a boolean, or an evaluation error such as reading a field the event lacks.
     * Guard optional fields with {@code has(event.data.field)} when a missing field should match.
     */
    public boolean matches(JsonNode event, JsonNode async) {
        try {
            return Boolean.TRUE.equals(evaluateRaw(event, async));
        } catch (ExpressionEvaluationException e) {
            return false;
        }
    }

    /** {@link #matches(JsonNode, JsonNode)} with only {@code event} (trigger expressions). */
    public boolean matches(JsonNode event) {
        return matches(event, null);
    }

    /**
     * The result as plain Java: {@code String}, {@code Long} (CEL int), {@code Double}, {@code Boolean},
     * {@code null}, {@code List} or {@code Map} of those.
     *
     * @throws ExpressionEvaluationException when evaluation fails (for example a missing field)
     */
    public Object evaluate(JsonNode event, JsonNode async) {
        return CelValues.toJava(evaluateRaw(event, async));
    }

    /**
     * The result as a flow-control key: a string result as it is, whole numbers without a fraction
     * (so {@code 42} and {@code 42.0} give the same key), {@code "true"}/{@code "false"}, {@code "null"},
     * and lists or maps as JSON with sorted keys.
     *
     * @throws ExpressionEvaluationException when evaluation fails
     */
    public String evaluateKey(JsonNode event) {
        return CelValues.keyString(evaluate(event, null));
    }

    /**
     * The result as a whole number, for {@code priority.run}: an int, or a double truncated toward
     * zero. Empty when the result is not a number.
     *
     * @throws ExpressionEvaluationException when evaluation fails
     */
    public Optional<Long> evaluateLong(JsonNode event) {
        Object result = evaluate(event, null);
        if (result instanceof Long l) {
            return Optional.of(l);
        }
        if (result instanceof Double d && !d.isNaN()) {
            return Optional.of(d.longValue());
        }
        return Optional.empty();
    }

    private Object evaluateRaw(JsonNode event, JsonNode async) {
        try {
            return program.eval(new LazyVariables(event, async));
        } catch (CelEvaluationException e) {
            throw new ExpressionEvaluationException(source, oneLine(e.getMessage()), e);
        } catch (RuntimeException e) {
            // CEL reports some type mismatches as unchecked exceptions; they mean the same to callers.
            throw new ExpressionEvaluationException(source, oneLine(String.valueOf(e.getMessage())), e);
        }
    }

    /**
     * Converts each variable on first use only: trigger expressions never read {@code async}, and the
     * interpreter may look a variable up once per reference.
     */
    private static final class LazyVariables implements CelVariableResolver {
        private final JsonNode event;
        private final JsonNode async;
        private Object eventValue;
        private Object asyncValue;

        LazyVariables(JsonNode event, JsonNode async) {
            this.event = event;
            this.async = async;
        }

        @Override
        public Optional<Object> find(String name) {
            return switch (name) {
                case "event" -> Optional.of(eventValue != null ? eventValue : (eventValue = objectOrEmpty(event)));
                case "async" -> Optional.of(asyncValue != null ? asyncValue : (asyncValue = objectOrEmpty(async)));
                default -> Optional.empty();
            };
        }

        private static Object objectOrEmpty(JsonNode node) {
            return node != null && node.isObject() ? CelValues.fromJson(node) : Map.of();
        }
    }

    static String oneLine(String message) {
        return message.replaceAll("\\s*\\R\\s*", " ").replace("evaluation error at <input>:", "at offset ").trim();
    }

    @Override
    public String toString() {
        return source;
    }
}
