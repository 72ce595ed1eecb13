package dev.loomstep.devserver.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loomstep.protocol.Json;
import java.util.Map;

/**
 * A tool call's arguments, read with one clear line for each mistake ({@link BadArguments}). The SDK
 * checks them against the tool's input schema first; this checks what a schema cannot say well (a
 * blank id) and converts them.
 */
final class ToolArgs {
    private final String tool;
    private final ObjectNode args;

    ToolArgs(String tool, Map<String, Object> arguments) {
        this.tool = tool;
        this.args = arguments == null ? Json.nodes().objectNode() : Json.mapper().valueToTree(arguments);
    }

    /** Thrown for an argument the tool cannot use; its message is the tool error the agent reads. */
    static final class BadArguments extends RuntimeException {
        BadArguments(String message) {
            super(message);
        }
    }

    String required(String name) {
        String v = optional(name);
        if (v == null) {
            throw bad("\"" + name + "\" is required: a non-empty string");
        }
        return v;
    }

    /** A string argument, trimmed; null when absent or blank. */
    String optional(String name) {
        JsonNode v = args.get(name);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw bad("\"" + name + "\" must be a string, got " + v.getNodeType().name().toLowerCase());
        }
        return v.asText().isBlank() ? null : v.asText().trim();
    }

    /** A JSON object argument, or null when absent. */
    ObjectNode object(String name) {
        JsonNode v = args.get(name);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isObject()) {
            throw bad("\"" + name + "\" must be a JSON object, got " + v.getNodeType().name().toLowerCase());
        }
        return (ObjectNode) v;
    }

    /** Any JSON value, or null when absent. */
    JsonNode value(String name) {
        JsonNode v = args.get(name);
        return v == null || v.isNull() ? null : v;
    }

    int integer(String name, int fallback, int min, int max) {
        JsonNode v = args.get(name);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.canConvertToInt() || !v.isIntegralNumber() || v.asInt() < min || v.asInt() > max) {
            throw bad("\"" + name + "\" must be a whole number from " + min + " to " + max + ", got " + v);
        }
        return v.asInt();
    }

    /** Strings given as an array (or one string), joined with commas for the REST filters; null when absent. */
    String list(String name) {
        JsonNode v = args.get(name);
        if (v == null || v.isNull()) {
            return null;
        }
        if (v.isTextual()) {
            return v.asText().isBlank() ? null : v.asText().trim();
        }
        if (!v.isArray()) {
            throw bad("\"" + name + "\" must be an array of strings, got " + v.getNodeType().name().toLowerCase());
        }
        StringBuilder sb = new StringBuilder();
        for (JsonNode item : v) {
            if (!item.isTextual() || item.asText().isBlank()) {
                throw bad("\"" + name + "\" must be an array of non-empty strings, got " + v);
            }
            sb.append(sb.isEmpty() ? "" : ",").append(item.asText().trim());
        }
        return sb.isEmpty() ? null : sb.toString();
    }

    BadArguments bad(String what) {
        return new BadArguments(tool + ": " + what);
    }
}
