package dev.loomstep.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loomstep.Config;
import dev.loomstep.Event;
import dev.loomstep.Loomstep;
import dev.loomstep.protocol.AsyncCheckpoint;
import dev.loomstep.protocol.CheckpointApi;
import dev.loomstep.protocol.Headers;
import dev.loomstep.protocol.Json;
import dev.loomstep.protocol.StaleDispatchException;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The synchronous checkpoints of one durable endpoint run, as the JS SDK sends them: the first one
 * creates the run ({@code POST {api}/v1/checkpoint} with the triggering {@code inngest/http.request}
 * event, answered with the run's function and app ids and the token of its output URL), the later ones
 * add steps to it ({@code POST {api}/v1/checkpoint/{runId}/steps}). A 409 means the executor will not
 * take more from this request (the run is no longer this request's): the handler stops. Other failures
 * are retried up to five times with exponential backoff, like the adapter's async checkpoints.
 */
final class SyncCheckpoints implements CheckpointApi {
    private static final int ATTEMPTS = 5;
    private static final long BASE_DELAY_MILLIS = 100;

    private final Config config;
    private final HttpClient client;
    private final Duration timeout;
    private final String runId;
    private final Event event;
    private final int retries;
    private final int requestVersion;
    /** Set by the first checkpoint's answer; read by the request's thread after the run settled. */
    private volatile String fnId;
    private volatile String appId;
    private volatile String token;

    SyncCheckpoints(Config config, HttpClient client, Duration timeout, String runId, Event event, int retries, int requestVersion) {
        this.config = config;
        this.client = client;
        this.timeout = timeout;
        this.runId = runId;
        this.event = event;
        this.retries = retries;
        this.requestVersion = requestVersion;
    }

    /** The engine's checkpoint of steps executed in place; its async fields (queue item, request id) are not sent. */
    @Override
    public void send(AsyncCheckpoint checkpoint) {
        send(Json.toTree(checkpoint.steps()));
    }

    /** Whether a checkpoint created the run already. */
    boolean started() {
        return fnId != null;
    }

    /** The token of the run's output URL, once the run exists (null before, or when the executor gave none). */
    String token() {
        return token;
    }

    /** Checkpoints {@code steps} (a JSON array of ops): the first call creates the run with them. */
    void send(JsonNode steps) {
        if (fnId == null) {
            ObjectNode body = Json.nodes().objectNode();
            body.put("run_id", runId);
            body.set("event", Json.toTree(event));
            body.set("steps", steps);
            body.put("ts", System.currentTimeMillis());
            body.put("request_version", requestVersion);
            body.put("retries", retries);
            JsonNode answer = post("/v1/checkpoint", body);
            JsonNode data = answer.path("data");
            if (!data.path("fn_id").isTextual() || !data.path("app_id").isTextual()) {
                throw new IllegalStateException("POST " + config.apiOrigin() + "/v1/checkpoint answered without data.fn_id and data.app_id: "
                        + abbreviate(answer.toString()));
            }
            token = data.path("token").isTextual() ? data.get("token").asText() : null;
            appId = data.get("app_id").asText();
            fnId = data.get("fn_id").asText();
            return;
        }
        ObjectNode body = Json.nodes().objectNode();
        body.put("fn_id", fnId);
        body.put("app_id", appId);
        body.put("run_id", runId);
        body.set("steps", steps);
        body.put("ts", System.currentTimeMillis());
        post("/v1/checkpoint/" + URLEncoder.encode(runId, StandardCharsets.UTF_8).replace("+", "%20") + "/steps", body);
    }

    private JsonNode post(String path, ObjectNode json) {
        String url = config.apiOrigin() + path;
        byte[] body = Json.toBytes(json);
        String last = null;
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            try {
                HttpResponse<byte[]> res = post(URI.create(url), body);
                int status = res.statusCode();
                if (status == 409) {
                    throw new StaleDispatchException("checkpoint refused with 409 (run " + runId + "): "
                            + abbreviate(new String(res.body(), StandardCharsets.UTF_8)));
                }
                if (status >= 200 && status < 300) {
                    return res.body().length == 0 ? Json.nodes().objectNode() : Json.mapper().readTree(res.body());
                }
                last = "answered " + status + ": " + abbreviate(new String(res.body(), StandardCharsets.UTF_8));
                if (status >= 400 && status < 500 && status != 429) {
                    break; // the request itself is wrong: sending it again changes nothing
                }
            } catch (IOException e) {
                last = "did not answer: " + Registrar.reason(e);
            }
            if (attempt < ATTEMPTS) {
                pause(BASE_DELAY_MILLIS * (1L << (attempt - 1)) + ThreadLocalRandom.current().nextLong(BASE_DELAY_MILLIS));
            }
        }
        throw new IllegalStateException("POST " + url + " " + last);
    }

    private HttpResponse<byte[]> post(URI uri, byte[] body) throws IOException {
        HttpResponse<byte[]> res = null;
        for (String t : ApiTokens.of(config)) {
            var req = HttpRequest.newBuilder(uri).timeout(timeout)
                    .header("Content-Type", "application/json")
                    .header("User-Agent", Loomstep.SDK_HEADER)
                    .header(Headers.SDK, Loomstep.SDK_HEADER)
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body));
            if ("http".equalsIgnoreCase(uri.getScheme())) {
                req.version(HttpClient.Version.HTTP_1_1); // no h2c upgrade dance with a cleartext executor
            }
            if (t != null) {
                req.header("Authorization", "Bearer " + t);
            }
            if (config.env() != null) {
                req.header(Headers.ENV, config.env());
            }
            try {
                res = client.send(req.build(), HttpResponse.BodyHandlers.ofByteArray());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
            if (res.statusCode() != 401 && res.statusCode() != 403) {
                break;
            }
        }
        return res;
    }

    private static String abbreviate(String s) {
        return s.length() > 300 ? s.substring(0, 300) + "…" : s;
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

}
