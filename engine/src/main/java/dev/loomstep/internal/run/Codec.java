package dev.loomstep.internal.run;

import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import dev.loomstep.protocol.Json;
import java.io.IOException;
import java.util.concurrent.ConcurrentHashMap;

/** Binds JSON to user types with one cached reader per type (no reflection per step on replay). */
final class Codec {
    private static final ConcurrentHashMap<JavaType, ObjectReader> READERS = new ConcurrentHashMap<>();

    private Codec() {}

    @SuppressWarnings("unchecked")
    static <T> T read(JsonNode node, JavaType type, String what) {
        if (node == null || node.isNull()) {
            return null;
        }
        Class<?> raw = type.getRawClass();
        if (raw == JsonNode.class || raw.isInstance(node)) {
            return (T) node;
        }
        // Scalars are most step results; reading them straight off the tree skips a parser per step.
        if (raw == String.class && node.isTextual()) {
            return (T) node.textValue();
        }
        if (raw == Integer.class && node.isInt()) {
            return (T) Integer.valueOf(node.intValue());
        }
        if (raw == Long.class && node.canConvertToLong() && node.isIntegralNumber()) {
            return (T) Long.valueOf(node.longValue());
        }
        if (raw == Boolean.class && node.isBoolean()) {
            return (T) Boolean.valueOf(node.booleanValue());
        }
        if (raw == Double.class && node.isNumber()) {
            return (T) Double.valueOf(node.doubleValue());
        }
        try {
            return reader(type).readValue(node);
        } catch (IOException e) {
            throw new IllegalStateException(what + " does not fit " + type.toCanonical() + ": " + e.getMessage().lines().findFirst().orElse(""), e);
        }
    }

    static ObjectReader reader(JavaType type) {
        return READERS.computeIfAbsent(type, t -> Json.mapper().readerFor(t));
    }

    /** A tree (a result {@link Results} already checked) is used as is; anything else is converted. */
    static JsonNode write(Object value) {
        return value instanceof JsonNode node ? node : Json.toTree(value);
    }
}
