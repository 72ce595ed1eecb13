package dev.loomstep.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loomstep.Config;
import dev.loomstep.protocol.Headers;
import dev.loomstep.protocol.Json;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Sends signals ({@code POST {apiOrigin}/v1/signals} with {@code {signal, data}}) and metadata updates
 * ({@code POST {apiOrigin}/v1/runs/{runId}/metadata}) to the Inngest API,
 * authorised like the SDK's other API calls (the signing key's bearer token, then the fallback's). The
 * API answers {@code {"data": {"run_id"}}} for the run it resumed and 404 when no run waits for the
 * signal, which is not an error: the signal is dropped, as the JS SDK treats it. One attempt, like JS:
 * a failure is thrown, and a {@code step.sendSignal} step is retried by the executor.
 */
final class SignalClient {
    private final Config config;
    private final HttpClient client;
    private final String sdkHeader;
    private final Duration timeout;
    /** Computed on first use, so a malformed key fails a signal send, not the client's construction. */
    private volatile List<String> tokens;

    SignalClient(Config config, HttpClient client, String sdkHeader, Duration timeout) {
        this.config = config;
        this.client = client;
        this.sdkHeader = sdkHeader;
        this.timeout = timeout;
    }

    Optional<String> send(String signal, JsonNode data) {
        if (signal == null || signal.isBlank()) {
            throw new IllegalArgumentException("the signal to send must not be blank");
        }
        ObjectNode body = Json.nodes().objectNode().put("signal", signal);
        if (data != null) {
            body.set("data", data);
        }
        String url = stripSlash(config.apiOrigin()) + "/v1/signals";
        HttpResponse<byte[]> res = post(URI.create(url), Json.toBytes(body), "signal \"" + signal + "\"");
        int status = res.statusCode();
        if (status == 404) {
            return Optional.empty();
        }
        JsonNode answer = parse(res.body());
        if (status < 200 || status >= 300) {
            String detail = answer != null && answer.path("error").isTextual() ? answer.get("error").asText()
                    : new String(res.body(), 0, Math.min(res.body().length, 300), StandardCharsets.UTF_8);
            throw new EventSendException("the signal API at " + url + " refused signal \"" + signal + "\" with " + status + ": "
                    + Registrar.oneLine(detail), status, null);
        }
        JsonNode runId = answer == null ? null : answer.path("data").get("run_id");
        if (runId == null || !runId.isTextual() || runId.asText().isEmpty()) {
            throw new EventSendException("the signal API at " + url + " accepted signal \"" + signal
                    + "\" but its answer names no run (expected {\"data\": {\"run_id\": …}}): "
                    + Registrar.oneLine(new String(res.body(), StandardCharsets.UTF_8)), status, null);
        }
        return Optional.of(runId.asText());
    }

    /**
     * Sends a metadata update ({@code POST {apiOrigin}/v1/runs/{runId}/metadata}); any answer but 2xx is
     * thrown with the API's error line. One attempt, like JS.
     */
    void sendMetadata(String runId, JsonNode body) {
        String url = stripSlash(config.apiOrigin()) + "/v1/runs/" + java.net.URLEncoder.encode(runId, StandardCharsets.UTF_8)
                + "/metadata";
        HttpResponse<byte[]> res = post(URI.create(url), Json.toBytes(body), "metadata for run " + runId);
        int status = res.statusCode();
        if (status < 200 || status >= 300) {
            JsonNode answer = parse(res.body());
            String detail = answer != null && answer.path("error").isTextual() ? answer.get("error").asText()
                    : new String(res.body(), 0, Math.min(res.body().length, 300), StandardCharsets.UTF_8);
            throw new EventSendException("the metadata API at " + url + " refused the update with " + status + ": "
                    + Registrar.oneLine(detail), status, null);
        }
    }

    private HttpResponse<byte[]> post(URI uri, byte[] body, String what) {
        return post(uri, body, "application/json", what);
    }

    /** One POST to the API with the SDK's headers, trying the signing key's token and then the fallback's on 401/403. */
    HttpResponse<byte[]> post(URI uri, byte[] body, String contentType, String what) {
        List<String> t = tokens;
        if (t == null) {
            tokens = t = ApiTokens.of(config);
        }
        HttpResponse<byte[]> res = null;
        for (String token : t) {
            var req = HttpRequest.newBuilder(uri).timeout(timeout)
                    .header("Content-Type", contentType)
                    .header("User-Agent", sdkHeader)
                    .header(Headers.SDK, sdkHeader)
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body));
            if (token != null) {
                req.header("Authorization", "Bearer " + token);
            }
            if (config.env() != null) {
                req.header(Headers.ENV, config.env());
            }
            try {
                res = client.send(req.build(), HttpResponse.BodyHandlers.ofByteArray());
            } catch (IOException e) {
                throw new EventSendException("cannot send " + what + ": " + uri + " did not answer ("
                        + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")", -1, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new EventSendException("interrupted while sending " + what, -1, e);
            }
            if (res.statusCode() != 401 && res.statusCode() != 403) {
                break;
            }
        }
        return res;
    }

    private static JsonNode parse(byte[] body) {
        try {
            return body.length == 0 ? null : Json.mapper().readTree(body);
        } catch (IOException e) {
            return null;
        }
    }

    private static String stripSlash(String s) {
        return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }
}
