package dev.loomstep.devserver.trace;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loomstep.devserver.store.SpanRecord;
import dev.loomstep.protocol.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Reads an OTLP {@code ExportTraceServiceRequest} in OTLP/HTTP's JSON encoding (what Inngest's SDKs send
 * as extended traces) into spans filed by run: each span names its run in {@code sdk.run.id}, and is filed
 * in the trace of the call it was made in ({@code inngest.traceparent}, a root under that call's span). A
 * span without a run, with malformed ids or times, is rejected (counted), not stored.
 */
public final class OtlpSpans {
    /** The attribute naming the run a span belongs to (the JS SDK's and Loomstep's). */
    public static final String RUN_ID = "sdk.run.id";
    private static final Pattern TRACE_ID = Pattern.compile("[0-9a-f]{32}");
    private static final Pattern SPAN_ID = Pattern.compile("[0-9a-f]{16}");
    private static final Pattern CALL = Pattern.compile("00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}");

    private OtlpSpans() {}

    /** The spans read, and why the others were not (the first reason, and how many). */
    public record Read(List<SpanRecord> spans, int rejected, String firstRejection) {}

    /**
     * @throws IllegalArgumentException when {@code request} is not an export request at all (one line saying why)
     */
    public static Read read(JsonNode request) {
        if (request == null || !request.isObject() || !request.path("resourceSpans").isArray()) {
            throw new IllegalArgumentException("expected an OTLP ExportTraceServiceRequest in JSON: an object with a"
                    + " \"resourceSpans\" array");
        }
        var spans = new ArrayList<SpanRecord>();
        int rejected = 0;
        String first = null;
        for (JsonNode rs : request.get("resourceSpans")) {
            for (JsonNode ss : rs.path("scopeSpans")) {
                String scope = ss.path("scope").path("name").asText(null);
                for (JsonNode s : ss.path("spans")) {
                    String why = null;
                    SpanRecord r = null;
                    try {
                        r = span(s, scope);
                    } catch (IllegalArgumentException e) {
                        why = e.getMessage();
                    }
                    if (r != null) {
                        spans.add(r);
                    } else {
                        rejected++;
                        first = first == null ? why : first;
                    }
                }
            }
        }
        return new Read(spans, rejected, first);
    }

    private static SpanRecord span(JsonNode s, String scope) {
        String name = s.path("name").asText("");
        String traceId = id(s, "traceId", TRACE_ID, name);
        String spanId = id(s, "spanId", SPAN_ID, name);
        String parent = s.path("parentSpanId").asText("");
        if (!parent.isEmpty() && !SPAN_ID.matcher(parent.toLowerCase()).matches()) {
            throw new IllegalArgumentException("span \"" + name + "\": parentSpanId must be 16 hex digits, got \"" + parent + "\"");
        }
        ObjectNode attributes = Json.nodes().objectNode();
        for (JsonNode kv : s.path("attributes")) {
            attributes.set(kv.path("key").asText(), value(kv.path("value")));
        }
        JsonNode runId = attributes.get(RUN_ID);
        if (runId == null || !runId.isTextual() || runId.asText().isBlank()) {
            throw new IllegalArgumentException("span \"" + name + "\" has no " + RUN_ID + " attribute: which run it belongs to is unknown");
        }
        // Like Inngest's executor, file the span in the call's trace (the traceparent the SDK parrots back):
        // the JS SDK starts its call span as a new root; Loomstep's spans are in that trace already.
        JsonNode sentWith = attributes.get("inngest.traceparent");
        var call = sentWith == null ? null : CALL.matcher(sentWith.asText());
        if (call != null && call.matches()) {
            traceId = call.group(1);
            if (parent.isEmpty()) {
                parent = call.group(2);
            }
        }
        long start = nanos(s, "startTimeUnixNano", name);
        long end = nanos(s, "endTimeUnixNano", name);
        JsonNode status = s.path("status");
        return new SpanRecord(runId.asText(), spanId, traceId, parent.isEmpty() ? null : parent.toLowerCase(), name, scope,
                start, Math.max(start, end), status.path("code").asInt(0), status.path("message").asText(null), attributes);
    }

    private static String id(JsonNode s, String field, Pattern shape, String name) {
        String v = s.path(field).asText("").toLowerCase();
        if (!shape.matcher(v).matches() || v.chars().allMatch(c -> c == '0')) {
            throw new IllegalArgumentException("span \"" + name + "\": " + field + " must be " + (shape == TRACE_ID ? 32 : 16)
                    + " hex digits, not all zero, got \"" + s.path(field).asText("") + "\"");
        }
        return v;
    }

    private static long nanos(JsonNode s, String field, String name) {
        JsonNode v = s.get(field);
        try {
            long n = v == null ? -1 : v.isNumber() ? v.asLong() : Long.parseLong(v.asText());
            if (n > 0) {
                return n;
            }
        } catch (NumberFormatException ignored) {
            // said below
        }
        throw new IllegalArgumentException("span \"" + name + "\": " + field + " must be positive epoch nanoseconds, got " + v);
    }

    /** An OTLP AnyValue as plain JSON. */
    private static JsonNode value(JsonNode v) {
        if (v.has("stringValue")) {
            return v.get("stringValue");
        }
        if (v.has("boolValue")) {
            return v.get("boolValue");
        }
        if (v.has("intValue")) {
            JsonNode i = v.get("intValue");
            try {
                return Json.nodes().numberNode(i.isNumber() ? i.asLong() : Long.parseLong(i.asText()));
            } catch (NumberFormatException e) {
                return i;
            }
        }
        if (v.has("doubleValue")) {
            return Json.nodes().numberNode(v.get("doubleValue").asDouble());
        }
        if (v.has("arrayValue")) {
            ArrayNode a = Json.nodes().arrayNode();
            v.get("arrayValue").path("values").forEach(x -> a.add(value(x)));
            return a;
        }
        if (v.has("kvlistValue")) {
            ObjectNode o = Json.nodes().objectNode();
            v.get("kvlistValue").path("values").forEach(kv -> o.set(kv.path("key").asText(), value(kv.path("value"))));
            return o;
        }
        return v.has("bytesValue") ? v.get("bytesValue") : Json.nodes().nullNode();
    }
}
