package dev.loomstep.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.protocol.Json;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

/** A plain HTTP client for the tests: real requests over loopback, answers read whole. */
final class TestHttp {
    static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    /** An answer: status, headers and the body as text. */
    record Reply(int status, HttpHeaders headers, String body) {
        String header(String name) {
            return headers.firstValue(name).orElse(null);
        }

        JsonNode json() {
            try {
                return Json.mapper().readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON (" + status + "): " + body, e);
            }
        }

        byte[] bytes() {
            return body.getBytes(StandardCharsets.UTF_8);
        }
    }

    private TestHttp() {}

    static Reply get(String url) {
        return send("GET", url, Map.of(), (byte[]) null);
    }

    static Reply send(String method, String url, Map<String, String> headers, byte[] body) {
        return sendWith(method, url, headers, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
    }

    /** Sends {@code body} without a Content-Length (chunked), as a streaming client would. */
    static Reply sendChunked(String method, String url, byte[] body) {
        return sendWith(method, url, Map.of(), HttpRequest.BodyPublishers.ofInputStream(() -> (InputStream) new ByteArrayInputStream(body)));
    }

    static Reply sendWith(String method, String url, Map<String, String> headers, HttpRequest.BodyPublisher body) {
        var req = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).method(method, body);
        headers.forEach(req::header);
        try {
            HttpResponse<String> res = CLIENT.send(req.build(), HttpResponse.BodyHandlers.ofString());
            return new Reply(res.statusCode(), res.headers(), res.body());
        } catch (IOException e) {
            throw new UncheckedIOException(method + " " + url + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static byte[] resource(String path) {
        try (InputStream in = TestHttp.class.getResourceAsStream("/" + path)) {
            if (in == null) {
                throw new IllegalArgumentException("no test resource " + path);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
