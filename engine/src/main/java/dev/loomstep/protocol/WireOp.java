package dev.loomstep.protocol;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * One element of a 206 answer exactly as it travels: {@code {id, op, name, displayName, opts, data,
 * error, timing, userland}}. Code works with the typed {@link Op}; this flat record is only the JSON shape.
 * {@code timing} is when a step executed in the request ran ({@link Timing}), as the JS SDK reports it; null
 * otherwise. It stays a tree here, so that an SDK's odd timing never makes its op unreadable. {@code userland}
 * is {@code {"id": …}}, the id the user gave an op whose {@code id} is not the usual step hash (a defer's), as
 * the JS SDK sends it; null otherwise. {@code metadata} is the run and step metadata set while the op's step
 * ran ({@code [{kind, scope, op, values}]}), batched onto it as the JS SDK batches it; null when none.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonPropertyOrder({"id", "op", "name", "displayName", "opts", "data", "error", "timing", "userland", "metadata"})
public record WireOp(String id, String op, String name, String displayName, JsonNode opts, JsonNode data, WireError error,
                     JsonNode timing, JsonNode userland, JsonNode metadata) {

    /** An op without metadata. */
    public WireOp(String id, String op, String name, String displayName, JsonNode opts, JsonNode data, WireError error,
                  JsonNode timing, JsonNode userland) {
        this(id, op, name, displayName, opts, data, error, timing, userland, null);
    }

    /** An op without a userland id. */
    public WireOp(String id, String op, String name, String displayName, JsonNode opts, JsonNode data, WireError error,
                  JsonNode timing) {
        this(id, op, name, displayName, opts, data, error, timing, null, null);
    }

    /** An op without timing. */
    public WireOp(String id, String op, String name, String displayName, JsonNode opts, JsonNode data, WireError error) {
        this(id, op, name, displayName, opts, data, error, null);
    }

    /**
     * When a step ran: {@code a} its start in nanoseconds since the epoch, {@code b} how long it took in
     * nanoseconds (Inngest's interval shape), so an executor draws steps one request ran one after another.
     */
    public record Timing(long a, long b) {
        /** The interval between two epoch-millisecond instants. */
        public static Timing ofMillis(long startMillis, long endMillis) {
            return new Timing(startMillis * 1_000_000, Math.max(0, endMillis - startMillis) * 1_000_000);
        }
    }

    /** This op with {@code timing} (none when null). */
    public WireOp withTiming(Timing t) {
        return t == null ? this : new WireOp(id, op, name, displayName, opts, data, error,
                Json.nodes().objectNode().put("a", t.a()).put("b", t.b()), userland, metadata);
    }

    /** This op with the metadata set while its step ran (none when null or empty). */
    public WireOp withMetadata(JsonNode m) {
        return m == null || m.isEmpty() ? this : new WireOp(id, op, name, displayName, opts, data, error, timing, userland, m);
    }
}
