package dev.loomstep.benchmarks.soak;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/**
 * The driver's client of the devserver: the event API and the REST API, over loopback. Every call
 * outlives the devserver's deaths: connection errors and 5xx are retried until {@code deadline}, as an
 * SDK's event client retries; a 4xx is an answer.
 */
final class Rest {
    static final ObjectMapper JSON = new ObjectMapper();

    record Response(int status, JsonNode body) {}

    private final String base;
    private final Map<String, String> headers;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private volatile long deadlineNanos = Long.MAX_VALUE;

    Rest(String base, Map<String, String> headers) {
        this.base = base;
        this.headers = Map.copyOf(headers);
    }

    /** After this, retries stop and the last error is thrown. */
    void deadline(Duration fromNow) {
        deadlineNanos = System.nanoTime() + fromNow.toNanos();
    }

    JsonNode get(String path) {
        Response r = call("GET", path, null);
        if (r.status() != 200) {
            throw new IllegalStateException("GET " + path + " answered " + r.status() + ": " + r.body());
        }
        return r.body();
    }

    /** GET that answers null on 404. */
    JsonNode find(String path) {
        Response r = call("GET", path, null);
        if (r.status() == 404) {
            return null;
        }
        if (r.status() != 200) {
            throw new IllegalStateException("GET " + path + " answered " + r.status() + ": " + r.body());
        }
        return r.body();
    }

    Response call(String method, String path, String body) {
        var b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        headers.forEach(b::header);
        HttpRequest request = b.build();
        Exception last = null;
        while (true) {
            try {
                HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() < 500) {
                    JsonNode json = r.body().isBlank() ? JSON.nullNode() : JSON.readTree(r.body());
                    return new Response(r.statusCode(), json);
                }
                last = new IllegalStateException(method + " " + path + " answered " + r.statusCode() + ": " + r.body());
            } catch (IOException e) {
                last = e; // the devserver is down or restarting
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
            if (System.nanoTime() > deadlineNanos) {
                throw new IllegalStateException(method + " " + path + " failed until the deadline: " + last, last);
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
        }
    }
}
