package dev.loomstep.devserver.expr;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.POJONode;
import com.google.common.primitives.UnsignedLong;
import dev.cel.common.values.NullValue;
import dev.loomstep.protocol.Json;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Converts between Jackson trees and the plain Java values CEL evaluates, and turns CEL results into
 * keys. Kept in one place so every feature (matching, keys, priority) sees the same number typing.
 */
final class CelValues {
    private CelValues() {}

    /**
     * JSON to CEL: objects become maps, arrays lists, integral numbers {@code Long} (CEL int), other
     * numbers {@code Double} (CEL double), null {@link NullValue}. Integral and floating numbers still
     * compare equal ({@code 1 == 1.0}) because the environment enables heterogeneous numeric comparisons.
     */
    static Object fromJson(JsonNode node) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            return NullValue.NULL_VALUE;
        }
        return switch (node.getNodeType()) {
            case OBJECT -> {
                Map<String, Object> map = new LinkedHashMap<>(node.size() * 2);
                for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> field = it.next();
                    map.put(field.getKey(), fromJson(field.getValue()));
                }
                yield map;
            }
            case ARRAY -> {
                List<Object> list = new ArrayList<>(node.size());
                for (JsonNode element : node) {
                    list.add(fromJson(element));
                }
                yield list;
            }
            case STRING -> node.textValue();
            case BOOLEAN -> node.booleanValue();
            case NUMBER -> node.isIntegralNumber() && node.canConvertToLong() ? (Object) node.longValue() : (Object) node.doubleValue();
            case BINARY -> node.asText();
            case POJO -> fromJson(Json.toTree(((POJONode) node).getPojo()));
            case NULL, MISSING -> NullValue.NULL_VALUE;
        };
    }

    /** CEL result to plain Java: null for CEL null, mutable-free maps and lists of plain values. */
    static Object toJava(Object value) {
        if (value == null || value instanceof NullValue || value instanceof com.google.protobuf.NullValue) {
            return null;
        }
        if (value instanceof UnsignedLong unsigned) {
            return unsigned.longValue();
        }
        if (value instanceof Map<?, ?> map) {
            Map<String, Object> out = new LinkedHashMap<>();
            map.forEach((k, v) -> out.put(String.valueOf(toJava(k)), toJava(v)));
            return out;
        }
        if (value instanceof List<?> list) {
            List<Object> out = new ArrayList<>(list.size());
            list.forEach(v -> out.add(toJava(v)));
            return out;
        }
        return value;
    }

    /**
     * A stable string for a plain Java result: strings as they are, whole numbers without a fraction
     * (so JSON 42 and 42.0 give the same key), maps with sorted keys as JSON.
     */
    static String keyString(Object value) {
        if (value == null) {
            return "null";
        }
        if (value instanceof String s) {
            return s;
        }
        if (value instanceof Double d) {
            if (!d.isInfinite() && !d.isNaN() && d == Math.rint(d) && Math.abs(d) < 0x1p53) {
                return Long.toString(d.longValue());
            }
            return d.toString();
        }
        if (value instanceof Number || value instanceof Boolean) {
            return value.toString();
        }
        return Json.toString(canonical(value));
    }

    private static Object canonical(Object value) {
        if (value instanceof Map<?, ?> map) {
            Map<String, Object> sorted = new TreeMap<>();
            map.forEach((k, v) -> sorted.put(String.valueOf(k), canonical(v)));
            return sorted;
        }
        if (value instanceof List<?> list) {
            return list.stream().map(CelValues::canonical).toList();
        }
        return value;
    }
}
