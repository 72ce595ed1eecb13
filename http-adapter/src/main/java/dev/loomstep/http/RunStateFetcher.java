package dev.loomstep.http;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Config;
import dev.loomstep.Event;
import dev.loomstep.Loomstep;
import dev.loomstep.http.SdkEndpoint.HttpError;
import dev.loomstep.protocol.CallRequest;
import dev.loomstep.protocol.Headers;
import dev.loomstep.protocol.Json;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Completes a trimmed call request ({@code ctx.use_api}): the executor left the events and step state
 * out because they were too large, so they are fetched from its API (spec §4.4.2).
 */
final class RunStateFetcher {
    private static final TypeReference<List<Event>> EVENTS = new TypeReference<>() {};
    private static final TypeReference<Map<String, JsonNode>> STEPS = new TypeReference<>() {};

    private final Config config;
    private final HttpClient client;
    private final Duration timeout;

    RunStateFetcher(Config config, HttpClient client, Duration timeout) {
        this.config = config;
        this.client = client;
        this.timeout = timeout;
    }

    CallRequest complete(CallRequest call) {
        String runId = call.ctx().runId();
        if (runId == null || runId.isBlank()) {
            throw new HttpError(400, "the call request sets use_api but has no ctx.run_id to fetch its state with")
                    .header(Headers.NO_RETRY, "false");
        }
        String base = config.apiOrigin() + "/v0/runs/" + URLEncoder.encode(runId, StandardCharsets.UTF_8).replace("+", "%20");
        List<Event> events;
        Map<String, JsonNode> steps;
        try {
            events = Json.mapper().readValue(get(base + "/batch"), EVENTS);
            steps = Json.mapper().readValue(get(base + "/actions"), STEPS);
        } catch (IOException e) {
            throw unavailable("its answer is not the expected JSON: " + SdkEndpoint.describe(e));
        }
        if (events == null || events.isEmpty()) {
            throw unavailable("it returned no events for run " + runId);
        }
        return new CallRequest(events.get(0), events, steps == null ? Map.of() : steps, call.ctx(), call.version(), call.useApi());
    }

    private byte[] get(String url) {
        HttpResponse<byte[]> res = null;
        for (String token : ApiTokens.of(config)) {
            var req = HttpRequest.newBuilder(URI.create(url)).timeout(timeout).GET()
                    .header("User-Agent", Loomstep.SDK_HEADER)
                    .header(Headers.SDK, Loomstep.SDK_HEADER);
            if (token != null) {
                req.header("Authorization", "Bearer " + token);
            }
            if (config.env() != null) {
                req.header(Headers.ENV, config.env());
            }
            try {
                res = client.send(req.build(), HttpResponse.BodyHandlers.ofByteArray());
            } catch (IOException e) {
                throw unavailable(url + " did not answer: " + Registrar.reason(e));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw unavailable("interrupted while waiting for " + url);
            }
            if (res.statusCode() != 401 && res.statusCode() != 403) {
                break;
            }
        }
        if (res.statusCode() != 200) {
            throw unavailable(url + " answered " + res.statusCode());
        }
        return res.body();
    }

    private static HttpError unavailable(String why) {
        return new HttpError(500, "cannot load the run's state from the executor's API: " + why).header(Headers.NO_RETRY, "false");
    }
}
