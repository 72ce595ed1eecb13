package dev.loomstep.devserver.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loomstep.devserver.executor.Lifecycle;
import dev.loomstep.devserver.executor.SignalWaits;
import dev.loomstep.protocol.Json;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.RoutingHandler;
import java.time.Instant;

/**
 * {@code POST /v1/signals} with {@code {signal, data}}, as the Inngest API has it: 200
 * {@code {"data": {"run_id"}}} for the run the signal resumed, 404 {@code "No signal found"} when no run
 * waits for it (the signal is dropped; SDKs treat that as "nobody was waiting", not as an error).
 */
final class SignalRoutes {
    private final SignalWaits signals;

    SignalRoutes(Lifecycle lifecycle) {
        this.signals = new SignalWaits(lifecycle);
    }

    void addTo(RoutingHandler r, HttpApi api) {
        r.post("/v1/signals", api.blocking(this::receive));
    }

    private Object receive(HttpServerExchange ex, byte[] body) {
        JsonNode in = Rest.parseJson(body, "a signal");
        JsonNode signal = in.path("signal");
        if (!in.isObject() || !signal.isTextual() || signal.asText().isBlank()) {
            throw ApiException.badRequest("a signal is {\"signal\": \"<name>\", \"data\": …} with a non-empty signal name; got "
                    + oneLine(in.toString()));
        }
        String runId = signals.receive(signal.asText(), in.get("data"))
                .orElseThrow(() -> ApiException.notFound("No signal found"));
        ObjectNode out = Rest.data(Json.nodes().objectNode().put("run_id", runId));
        out.putObject("metadata").put("fetched_at", Instant.now().toString());
        return out;
    }

    private static String oneLine(String s) {
        return s.length() > 200 ? s.substring(0, 200) + "…" : s;
    }
}
