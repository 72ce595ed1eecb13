package dev.loomstep.devserver;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.protocol.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.function.Predicate;
import java.util.function.Supplier;

/** A small client of the devserver's HTTP API for tests, with polling under a deadline. */
final class Api {
    static final Duration DEADLINE = Duration.ofSeconds(15);
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private final String base;

    Api(DevServer dev) {
        this(dev.url());
    }

    /** A client of the devserver at {@code base}, e.g. one running in another process. */
    Api(String base) {
        this.base = base;
    }

    /** A status code and the JSON body. */
    record Response(int status, JsonNode json, String text) {}

    Response request(String method, String path, String body) {
        try {
            var b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(20));
            b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
            if (body != null) {
                b.header("Content-Type", "application/json");
            }
            HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
            JsonNode json = null;
            try {
                json = Json.mapper().readTree(r.body());
            } catch (Exception ignored) {
                // left null: the test asserts on the text
            }
            return new Response(r.statusCode(), json, r.body());
        } catch (Exception e) {
            throw new AssertionError(method + " " + path + " failed: " + e, e);
        }
    }

    JsonNode get(String path) {
        Response r = request("GET", path, null);
        if (r.status() != 200) {
            throw new AssertionError("GET " + path + " answered " + r.status() + ": " + r.text());
        }
        return r.json();
    }

    /** Sends one event; returns its id. */
    String send(String name, Object data) {
        return send(Json.nodes().objectNode().put("name", name).set("data", Json.toTree(data)));
    }

    String send(JsonNode event) {
        Response r = request("POST", "/e/test-key", Json.toString(event));
        if (r.status() != 200) {
            throw new AssertionError("sending " + event + " answered " + r.status() + ": " + r.text());
        }
        return r.json().get("ids").get(0).asText();
    }

    /** The id of the first run an event started, waiting until it exists. */
    String runOf(String eventId) {
        JsonNode runs = await(() -> get("/v1/events/" + eventId + "/runs").get("data"), d -> d.size() > 0,
                "a run for event " + eventId);
        return runs.get(0).get("run_id").asText();
    }

    JsonNode run(String runId) {
        return get("/v1/runs/" + runId).get("data");
    }

    /** Waits until the run has ended and returns it. */
    JsonNode finished(String runId) {
        return await(() -> run(runId), r -> !r.get("status").asText().equals("Running"), "run " + runId + " to end");
    }

    JsonNode awaitStatus(String runId, String status) {
        JsonNode r = finished(runId);
        if (!r.get("status").asText().equals(status)) {
            throw new AssertionError("run " + runId + " ended " + r.get("status").asText() + ", expected " + status + ": " + r);
        }
        return r;
    }

    static <T> T await(Supplier<T> probe, Predicate<T> done, String what) {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        T last = null;
        while (System.nanoTime() < deadline) {
            last = probe.get();
            if (last != null && done.test(last)) {
                return last;
            }
            try {
                Thread.sleep(10); // polling interval, not a wait for an outcome
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting for " + what);
            }
        }
        throw new AssertionError("timed out after " + DEADLINE.toSeconds() + " s waiting for " + what + "; last seen: " + last);
    }
}
