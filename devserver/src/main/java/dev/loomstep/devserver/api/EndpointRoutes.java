package dev.loomstep.devserver.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.devserver.endpoint.EndpointRuns;
import dev.loomstep.devserver.executor.Lifecycle;
import dev.loomstep.devserver.store.RunRecord;
import dev.loomstep.devserver.store.RunStatus;
import dev.loomstep.protocol.Json;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.RoutingHandler;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The durable endpoints' routes, as Inngest serves them: {@code POST /v1/checkpoint} (start a run),
 * {@code POST /v1/checkpoint/{runId}/steps} (its request's steps; 409 once stale), and the output a
 * redirected client waits on, {@code GET /v1/http/runs/{runId}/output?token=} (also under
 * {@code /v1/checkpoint/{runId}/output}): the handler's response once the run ended — its status, headers
 * and body — or, after five minutes, {@code {"status":"running"}}.
 */
final class EndpointRoutes {
    /** As Inngest: how long a redirected client's request waits for the run to end. */
    static final Duration OUTPUT_WAIT = Duration.ofMinutes(5);

    private final EndpointRuns endpoints;
    private final Lifecycle lifecycle;

    EndpointRoutes(EndpointRuns endpoints, Lifecycle lifecycle) {
        this.endpoints = endpoints;
        this.lifecycle = lifecycle;
    }

    void addTo(RoutingHandler r, HttpApi api) {
        r.post("/v1/checkpoint", api.blocking(this::start))
                .post("/v1/checkpoint/{runId}/steps", api.blocking(this::steps))
                .get("/v1/http/runs/{runId}/output", api.blocking(this::output))
                .get("/v1/checkpoint/{runId}/output", api.blocking(this::output));
    }

    private Object start(HttpServerExchange ex, byte[] body) {
        JsonNode in = Rest.parseJson(body, "invalid checkpoint");
        try {
            return endpoints.start(in, ex.getRequestHeaders().getFirst(io.undertow.util.Headers.AUTHORIZATION));
        } catch (EndpointRuns.Refused e) {
            throw new ApiException(e.status(), e.getMessage());
        }
    }

    private Object steps(HttpServerExchange ex, byte[] body) {
        String runId = ex.getQueryParameters().get("runId").getFirst();
        JsonNode in = Rest.parseJson(body, "invalid checkpoint");
        try {
            endpoints.steps(runId, in, ex.getRequestHeaders().getFirst(io.undertow.util.Headers.AUTHORIZATION));
        } catch (EndpointRuns.Refused e) {
            throw new ApiException(e.status(), e.getMessage());
        }
        return Json.nodes().objectNode().put("status", 200).put("run_id", runId);
    }

    private Object output(HttpServerExchange ex, byte[] body) throws InterruptedException {
        String runId = ex.getQueryParameters().get("runId").getFirst();
        Deque<String> token = ex.getQueryParameters().get("token");
        if (token == null || !endpoints.tokens().allowsOutput(runId, token.getFirst())) {
            throw new ApiException(401, "Unable to find run with auth token: send the token the run's redirect gave");
        }
        var store = lifecycle.store();
        lifecycle.runEnds().await(() -> store.run(runId).map(List::of).orElse(List.of()), OUTPUT_WAIT);
        RunRecord run = store.run(runId).orElseThrow(() -> ApiException.notFound("no run with id \"" + runId + "\""));
        if (run.status() == RunStatus.Running) {
            return Json.nodes().objectNode().put("status", "running").put("message", "run did not end within 5 minutes");
        }
        if (run.status() != RunStatus.Completed) {
            var out = Json.nodes().objectNode().put("status", run.status().toString().toLowerCase(java.util.Locale.ROOT));
            out.set("error", run.error() == null ? Json.nodes().nullNode() : Json.toTree(run.error()));
            return new RawAnswer(500, Map.of("Content-Type", "application/json"), Json.toBytes(out));
        }
        JsonNode output = run.output();
        if (output != null && output.path("status").canConvertToInt() && output.path("status").asInt() > 0) {
            // The handler's response, as Inngest writes an API result: its status, headers and body.
            Map<String, String> headers = new LinkedHashMap<>();
            output.path("headers").fields().forEachRemaining(h -> headers.put(h.getKey(), h.getValue().asText()));
            return new RawAnswer(output.get("status").asInt(), headers, output.path("body").asText("").getBytes(StandardCharsets.UTF_8));
        }
        return new RawAnswer(200, Map.of("Content-Type", "application/json"), Json.toBytes(output == null ? Json.nodes().nullNode() : output));
    }
}
