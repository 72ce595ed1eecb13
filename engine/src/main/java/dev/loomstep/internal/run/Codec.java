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
        if (type.getRawClass() == JsonNode.class || type.getRawClass().isInstance(node)) {
            return (T) node;
        }
        ObjectReader reader = READERS.computeIfAbsent(type, t -> Json.mapper().readerFor(t));
        try {
            return reader.readValue(node);
        } catch (IOException e) {
            throw new IllegalStateException(what + " does not fit " + type.toCanonical() + ": " + e.getMessage().lines().findFirst().orElse(""), e);
        }
    }

    static JsonNode write(Object value) {
        return Json.toTree(value);
    }
}
