package dev.loomstep.devserver.seam;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Event;
import dev.loomstep.protocol.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * STOPGAP until the CEL evaluator is wired in: null expressions, the legacy {@code match} field, and
 * conjunctions ({@code &&}) of {@code ==}/{@code !=} between paths ({@code event.data.id},
 * {@code async.data.id}) and literals ({@code 'x'}, {@code "x"}, numbers, {@code true}, {@code false},
 * {@code null}). That covers the onFailure trigger the SDKs generate
 * ({@code event.data.function_id == 'app-fn'}) and the common waitForEvent {@code if}; anything else
 * is rejected with a message naming the expression.
 */
public final class BasicExpressions implements Expressions {

    @Override
    public boolean trigger(String expression, Event event) {
        return expression == null || expression.isBlank() || eval(expression, event, null);
    }

    @Override
    public boolean waitFor(String ifExpression, String match, Event trigger, Event candidate) {
        if (ifExpression != null && !ifExpression.isBlank()) {
            return eval(ifExpression, trigger, candidate);
        }
        if (match != null && !match.isBlank()) {
            String path = match.startsWith("event.") ? match.substring("event.".length()) : match;
            return eval("event." + path + " == async." + path, trigger, candidate);
        }
        return true;
    }

    @Override
    public boolean cancel(String ifExpression, Event trigger, Event candidate) {
        return ifExpression == null || ifExpression.isBlank() || eval(ifExpression, trigger, candidate);
    }

    private static boolean eval(String expression, Event event, Event async) {
        for (String clause : splitAnd(expression)) {
            String op = clause.contains("!=") ? "!=" : clause.contains("==") ? "==" : null;
            if (op == null) {
                throw unsupported(expression);
            }
            int at = clause.indexOf(op);
            JsonNode left = operand(clause.substring(0, at).trim(), event, async, expression);
            JsonNode right = operand(clause.substring(at + 2).trim(), event, async, expression);
            boolean equal = equal(left, right);
            if (op.equals("==") != equal) {
                return false;
            }
        }
        return true;
    }

    private static List<String> splitAnd(String expression) {
        var out = new ArrayList<String>();
        int start = 0;
        char quote = 0;
        for (int i = 0; i < expression.length(); i++) {
            char c = expression.charAt(i);
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                }
            } else if (c == '\'' || c == '"') {
                quote = c;
            } else if (c == '(' || c == ')' || c == '|') {
                throw unsupported(expression);
            } else if (c == '&' && i + 1 < expression.length() && expression.charAt(i + 1) == '&') {
                out.add(expression.substring(start, i).trim());
                start = i + 2;
                i++;
            }
        }
        out.add(expression.substring(start).trim());
        return out;
    }

    private static JsonNode operand(String text, Event event, Event async, String expression) {
        if (text.length() >= 2 && (text.startsWith("'") && text.endsWith("'") || text.startsWith("\"") && text.endsWith("\""))) {
            return Json.nodes().textNode(text.substring(1, text.length() - 1));
        }
        switch (text) {
            case "true": return Json.nodes().booleanNode(true);
            case "false": return Json.nodes().booleanNode(false);
            case "null": return Json.nodes().nullNode();
            default: break;
        }
        if (text.matches("-?\\d+(\\.\\d+)?")) {
            return Json.nodes().numberNode(new java.math.BigDecimal(text));
        }
        String[] parts = text.split("\\.");
        Event root = switch (parts[0]) {
            case "event" -> event;
            case "async" -> async;
            default -> throw unsupported(expression);
        };
        if (root == null) {
            throw unsupported(expression);
        }
        JsonNode node = Json.toTree(root);
        for (int i = 1; i < parts.length; i++) {
            if (!parts[i].matches("[A-Za-z_][A-Za-z0-9_]*")) {
                throw unsupported(expression);
            }
            node = node == null ? null : node.get(parts[i]);
        }
        return node == null ? Json.nodes().nullNode() : node;
    }

    private static boolean equal(JsonNode a, JsonNode b) {
        if (a.isNumber() && b.isNumber()) {
            return a.decimalValue().compareTo(b.decimalValue()) == 0;
        }
        return Objects.equals(a, b);
    }

    private static IllegalArgumentException unsupported(String expression) {
        return new IllegalArgumentException("the devserver's stopgap evaluator cannot evaluate \"" + expression
                + "\" (only && of == / != between event./async. paths and literals until CEL is wired in)");
    }
}
