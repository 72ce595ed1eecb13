package dev.loomstep.internal.run;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.loomstep.protocol.Json;
import java.io.IOException;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Turns user values (step results, event data, function results, invoke payloads) into JSON trees and
 * back through one app's mapper, with one cached reader per type (no reflection per step on replay).
 * Wire records never go through it: they keep {@link Json}'s mapper whatever the app configured.
 */
public final class Codec {
    /** Loomstep's own mapper, shared by every app that configures none (and so its reader cache too). */
    public static final Codec DEFAULT = new Codec(Json.mapper());

    private final ObjectMapper mapper;
    private final ConcurrentHashMap<JavaType, ObjectReader> readers = new ConcurrentHashMap<>();
    /** What is wrong with a step's declared result type ("" when nothing), found once per type. */
    private final ConcurrentHashMap<JavaType, String> declaredProblems = new ConcurrentHashMap<>();
    /** Fails on beans without properties (Jackson's own check, which a mapper may have turned off). */
    private final ObjectWriter strict;
    /** Scalars are read straight off the tree only where no user module can have a say in them. */
    private final boolean scalarShortcuts;

    private Codec(ObjectMapper mapper) {
        this.mapper = mapper;
        this.strict = mapper.writer().with(SerializationFeature.FAIL_ON_EMPTY_BEANS);
        this.scalarShortcuts = mapper == Json.mapper();
    }

    /** The codec for {@code mapper}: {@link #DEFAULT} for null or Loomstep's own. */
    public static Codec of(ObjectMapper mapper) {
        return mapper == null || mapper == Json.mapper() ? DEFAULT : new Codec(mapper);
    }

    public ObjectMapper mapper() {
        return mapper;
    }

    JavaType type(Class<?> type) {
        return mapper.constructType(type);
    }

    JavaType type(TypeReference<?> type) {
        return mapper.constructType(type);
    }

    @SuppressWarnings("unchecked")
    <T> T read(JsonNode node, JavaType type, String what) {
        if (node == null || node.isNull()) {
            return null;
        }
        Class<?> raw = type.getRawClass();
        if (raw == JsonNode.class || raw.isInstance(node)) {
            return (T) node;
        }
        if (scalarShortcuts) {
            T scalar = scalar(raw, node);
            if (scalar != null) {
                return scalar;
            }
        }
        try {
            return reader(type).readValue(node);
        } catch (IOException e) {
            throw new IllegalStateException(what + " does not fit " + type.toCanonical() + ": " + e.getMessage().lines().findFirst().orElse(""), e);
        }
    }

    /** Scalars are most step results; reading them straight off the tree skips a parser per step. */
    @SuppressWarnings("unchecked")
    private static <T> T scalar(Class<?> raw, JsonNode node) {
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
        return null;
    }

    /** Why Jackson could not record {@code type} and read it back, or "" when it can; cached per type. */
    String declaredProblem(JavaType type) {
        return declaredProblems.computeIfAbsent(type, t -> Results.problemOf(mapper, t));
    }

    ObjectReader reader(JavaType type) {
        return readers.computeIfAbsent(type, mapper::readerFor);
    }

    /** The writer {@link Results} checks fresh results with. */
    ObjectWriter strictWriter() {
        return strict;
    }

    /** A tree (a result {@link Results} already checked) is used as is; anything else is converted. */
    JsonNode write(Object value) {
        return value instanceof JsonNode node ? node : toTree(value);
    }

    /** Any user value (null too) as a JSON tree. */
    JsonNode toTree(Object value) {
        return value == null ? Json.nodes().nullNode() : mapper.valueToTree(value);
    }
}
