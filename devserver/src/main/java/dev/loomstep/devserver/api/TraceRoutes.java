package dev.loomstep.devserver.api;

import static dev.loomstep.devserver.api.Rest.data;
import static dev.loomstep.devserver.api.Rest.path;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loomstep.devserver.executor.Lifecycle;
import dev.loomstep.devserver.store.SpanRecord;
import dev.loomstep.devserver.store.Store;
import dev.loomstep.devserver.trace.OtlpSpans;
import dev.loomstep.protocol.Json;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.RoutingHandler;
import io.undertow.util.Headers;
import java.util.ArrayList;
import java.util.List;

/**
 * Extended traces: {@code POST /v1/traces/userland}, where SDKs send the spans of their runs (OTLP/HTTP
 * JSON, as Inngest's JS SDK does; the signing key's bearer in production mode), and
 * {@code GET /v1/runs/{runId}/spans}, a run's spans as the UI draws them.
 */
final class TraceRoutes {
    private final Store store;

    TraceRoutes(Lifecycle lifecycle) {
        this.store = lifecycle.store();
    }

    void addTo(RoutingHandler r, HttpApi api) {
        r.post("/v1/traces/userland", api.blocking(this::userland))
                .get("/v1/runs/{runId}/spans", api.blocking(this::runSpans));
    }

    /**
     * Stores the spans of known runs; answers as OTLP does, {@code {}} or a partial success that counts the
     * spans refused (no run id, an unknown run, malformed ids) and says why the first was.
     */
    private Object userland(HttpServerExchange ex, byte[] body) {
        String type = ex.getRequestHeaders().getFirst(Headers.CONTENT_TYPE);
        if (type == null || !type.toLowerCase().contains("json")) {
            throw new ApiException(415, "send OTLP/HTTP JSON (Content-Type: application/json) as Inngest's SDKs do; got "
                    + (type == null ? "no Content-Type" : "\"" + type + "\"") + " (protobuf is not read by this devserver)");
        }
        OtlpSpans.Read read;
        try {
            read = OtlpSpans.read(Rest.parseJson(body, "traces"));
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("traces: " + e.getMessage());
        }
        var known = new ArrayList<SpanRecord>();
        int rejected = read.rejected();
        String why = read.firstRejection();
        for (SpanRecord s : read.spans()) {
            if (store.runStatus(s.runId()).isPresent()) {
                known.add(s);
            } else {
                rejected++;
                why = why == null ? "span \"" + s.name() + "\" names run " + s.runId() + ", which this devserver does not have" : why;
            }
        }
        if (!known.isEmpty()) {
            store.insertSpans(known);
        }
        ObjectNode out = Json.nodes().objectNode();
        if (rejected > 0) {
            out.putObject("partialSuccess").put("rejectedSpans", rejected).put("errorMessage", why);
        }
        return out;
    }

    private Object runSpans(HttpServerExchange ex, byte[] body) {
        String runId = path(ex, "runId");
        if (store.runStatus(runId).isEmpty()) {
            throw ApiException.notFound("no run with id \"" + runId + "\"");
        }
        return data(view(store.spans(runId)));
    }

    /** Spans as the REST API and the UI show them: ids, names, times (epoch ms, fractional), status, attributes. */
    static ArrayNode view(List<SpanRecord> spans) {
        ArrayNode a = Json.nodes().arrayNode();
        for (SpanRecord s : spans) {
            ObjectNode o = a.addObject().put("span_id", s.spanId()).put("trace_id", s.traceId())
                    .put("parent_span_id", s.parentSpanId()).put("name", s.name()).put("scope", s.scope())
                    .put("start_ms", s.startNanos() / 1e6).put("end_ms", s.endNanos() / 1e6)
                    .put("duration_ms", (s.endNanos() - s.startNanos()) / 1e6)
                    .put("status", s.status() == 2 ? "error" : s.status() == 1 ? "ok" : "unset")
                    .put("status_message", s.statusMessage());
            o.set("attributes", s.attributes() == null ? Json.nodes().objectNode() : s.attributes());
        }
        return a;
    }
}
