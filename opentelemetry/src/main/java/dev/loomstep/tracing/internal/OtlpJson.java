package dev.loomstep.tracing.internal;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loomstep.protocol.Json;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An OTLP {@code ExportTraceServiceRequest} in OTLP/HTTP's JSON encoding (what the JS SDK's exporter sends
 * to the executor): spans grouped by resource, then by instrumentation scope; ids as lower-case hex, times
 * as decimal strings of nanoseconds, enums as numbers.
 */
public final class OtlpJson {
    private OtlpJson() {}

    public static byte[] encode(Collection<SpanData> spans) {
        Map<Resource, Map<InstrumentationScopeInfo, List<SpanData>>> grouped = new LinkedHashMap<>();
        for (SpanData s : spans) {
            grouped.computeIfAbsent(s.getResource(), r -> new LinkedHashMap<>())
                    .computeIfAbsent(s.getInstrumentationScopeInfo(), i -> new java.util.ArrayList<>()).add(s);
        }
        ObjectNode root = Json.nodes().objectNode();
        ArrayNode resourceSpans = root.putArray("resourceSpans");
        grouped.forEach((resource, byScope) -> {
            ObjectNode rs = resourceSpans.addObject();
            attributes(rs.putObject("resource").putArray("attributes"), resource.getAttributes());
            ArrayNode scopeSpans = rs.putArray("scopeSpans");
            byScope.forEach((scope, list) -> {
                ObjectNode ss = scopeSpans.addObject();
                ObjectNode sc = ss.putObject("scope").put("name", scope.getName());
                if (scope.getVersion() != null) {
                    sc.put("version", scope.getVersion());
                }
                ArrayNode out = ss.putArray("spans");
                for (SpanData s : list) {
                    out.add(span(s));
                }
            });
        });
        return Json.toBytes(root);
    }

    private static ObjectNode span(SpanData s) {
        ObjectNode o = Json.nodes().objectNode()
                .put("traceId", s.getTraceId())
                .put("spanId", s.getSpanId());
        if (s.getParentSpanContext().isValid()) {
            o.put("parentSpanId", s.getParentSpanId());
        }
        o.put("name", s.getName())
                .put("kind", s.getKind().ordinal() + 1) // INTERNAL, SERVER, CLIENT, PRODUCER, CONSUMER: OTLP's 1..5
                .put("startTimeUnixNano", Long.toString(s.getStartEpochNanos()))
                .put("endTimeUnixNano", Long.toString(s.getEndEpochNanos()));
        attributes(o.putArray("attributes"), s.getAttributes());
        if (!s.getEvents().isEmpty()) {
            ArrayNode events = o.putArray("events");
            for (EventData e : s.getEvents()) {
                ObjectNode eo = events.addObject().put("timeUnixNano", Long.toString(e.getEpochNanos())).put("name", e.getName());
                attributes(eo.putArray("attributes"), e.getAttributes());
            }
        }
        StatusCode code = s.getStatus().getStatusCode();
        ObjectNode status = o.putObject("status").put("code", code == StatusCode.OK ? 1 : code == StatusCode.ERROR ? 2 : 0);
        if (!s.getStatus().getDescription().isEmpty()) {
            status.put("message", s.getStatus().getDescription());
        }
        return o;
    }

    private static void attributes(ArrayNode out, Attributes attributes) {
        attributes.forEach((key, value) -> {
            ObjectNode kv = out.addObject().put("key", key.getKey());
            value(kv.putObject("value"), key, value);
        });
    }

    private static void value(ObjectNode v, AttributeKey<?> key, Object value) {
        switch (key.getType()) {
            case BOOLEAN -> v.put("boolValue", (Boolean) value);
            case LONG -> v.put("intValue", value.toString());
            case DOUBLE -> v.put("doubleValue", (Double) value);
            case STRING_ARRAY, BOOLEAN_ARRAY, LONG_ARRAY, DOUBLE_ARRAY -> {
                ArrayNode values = v.putObject("arrayValue").putArray("values");
                for (Object one : (List<?>) value) {
                    ObjectNode item = values.addObject();
                    switch (one) {
                        case Boolean b -> item.put("boolValue", b);
                        case Long l -> item.put("intValue", l.toString());
                        case Double d -> item.put("doubleValue", d);
                        default -> item.put("stringValue", String.valueOf(one));
                    }
                }
            }
            default -> v.put("stringValue", String.valueOf(value));
        }
    }
}
