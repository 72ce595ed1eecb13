package dev.loomstep.devserver.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.devserver.store.SpanRecord;
import dev.loomstep.protocol.Json;
import java.io.InputStream;
import org.junit.jupiter.api.Test;

/** OTLP/HTTP JSON as SDKs export it, read into per-run spans (fixture: {@code otlp-export.json}). */
class OtlpSpansTest {
    static JsonNode fixture() throws Exception {
        try (InputStream in = OtlpSpansTest.class.getResourceAsStream("otlp-export.json")) {
            return Json.mapper().readTree(in);
        }
    }

    @Test
    void readsEverySpanWithARunIdAndCountsTheRest() throws Exception {
        OtlpSpans.Read read = OtlpSpans.read(fixture());
        assertEquals(2, read.spans().size());
        assertEquals(2, read.rejected(), "a span without sdk.run.id and one with an all-zero trace id");
        assertTrue(read.firstRejection().contains("no-run") && read.firstRejection().contains("sdk.run.id"), read.firstRejection());

        SpanRecord call = read.spans().get(0);
        assertEquals("01RUNA", call.runId());
        assertEquals("inngest", call.scope());
        assertEquals(1796680000000000000L, call.startNanos());
        assertEquals(0, call.status());
        SpanRecord count = read.spans().get(1);
        assertEquals(3, count.attributes().get("peer.items").asInt(), "intValue as a JSON number");
        assertEquals(0.5, count.attributes().get("peer.ratio").asDouble());
        assertTrue(count.attributes().get("peer.ok").asBoolean());
        assertEquals("[\"a\",2]", count.attributes().get("peer.tags").toString(), "arrays, intValue as a string");
        assertEquals(2, count.status());
        assertEquals("card declined", count.statusMessage());
    }

    @Test
    void filesTheSpansInTheTraceOfTheCallTheyWereMadeIn() throws Exception {
        OtlpSpans.Read read = OtlpSpans.read(fixture());
        SpanRecord call = read.spans().get(0);
        SpanRecord count = read.spans().get(1);
        assertEquals("4bf92f3577b34da6a3ce929d0e0e4736", call.traceId(), "the trace of inngest.traceparent, not the SDK's own root");
        assertEquals("00f067aa0ba902b7", call.parentSpanId(), "a root goes under the call's span");
        assertEquals("4bf92f3577b34da6a3ce929d0e0e4736", count.traceId());
        assertEquals("b7ad6b7169203331", count.parentSpanId(), "a child keeps its parent");
    }

    @Test
    void whatIsNotAnExportRequestIsRefusedInOneLine() {
        var e = assertThrows(IllegalArgumentException.class, () -> OtlpSpans.read(Json.nodes().objectNode().put("spans", 1)));
        assertTrue(e.getMessage().contains("resourceSpans"), e.getMessage());
        assertEquals(0, OtlpSpans.read(Json.nodes().objectNode().set("resourceSpans", Json.nodes().arrayNode())).spans().size());
        assertNull(OtlpSpans.read(Json.nodes().objectNode().set("resourceSpans", Json.nodes().arrayNode())).firstRejection());
    }
}
