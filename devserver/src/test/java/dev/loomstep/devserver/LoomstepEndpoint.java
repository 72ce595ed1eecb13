package dev.loomstep.devserver;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.loomstep.Event;
import dev.loomstep.Loomstep;
import dev.loomstep.protocol.CallRequest;
import dev.loomstep.protocol.CallResult;
import dev.loomstep.protocol.Headers;
import dev.loomstep.protocol.Json;
import dev.loomstep.protocol.RawRequest;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.function.UnaryOperator;

/**
 * Real Loomstep functions served over real HTTP on loopback: the engine's {@code app.call} behind a
 * minimal JDK HTTP server, plus an event sender that posts to the devserver's event API.
 *
 * <p>A stopgap for these tests until the http-adapter module's {@code LoomstepServer} lands on main;
 * then it serves the app instead and this class goes away.
 */
final class LoomstepEndpoint implements AutoCloseable {
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private final HttpServer server;
    private final Loomstep app;
    private final String devUrl;

    /** Serves the app built by {@code configure} (given a builder already pointed at {@code dev}). */
    LoomstepEndpoint(DevServer dev, String appId, UnaryOperator<Loomstep.Builder> configure) throws IOException {
        this.devUrl = dev.url();
        this.app = configure.apply(Loomstep.builder(appId).dev(devUrl).eventSender(this::send)).build();
        this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 200);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/api/loomstep", this::serve);
        server.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/api/loomstep";
    }

    /** Registers the app with the devserver, as an SDK does when synced. */
    void sync() throws Exception {
        var res = HTTP.send(HttpRequest.newBuilder(URI.create(devUrl + "/fn/register"))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(Json.toBytes(app.syncRequest(url(), "jdk-httpserver")))).build(),
                HttpResponse.BodyHandlers.ofString());
        if (res.statusCode() != 200) {
            throw new AssertionError("sync failed: " + res.statusCode() + " " + res.body());
        }
    }

    private List<String> send(List<Event> events) throws Exception {
        var res = HTTP.send(HttpRequest.newBuilder(URI.create(devUrl + "/e/test-key"))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(Json.toBytes(events))).build(),
                HttpResponse.BodyHandlers.ofString());
        if (res.statusCode() != 200) {
            throw new IllegalStateException("the event API answered " + res.statusCode() + ": " + res.body());
        }
        var ids = new ArrayList<String>();
        Json.mapper().readTree(res.body()).get("ids").forEach(n -> ids.add(n.asText()));
        return ids;
    }

    private void serve(HttpExchange ex) throws IOException {
        try (ex) {
            byte[] body = ex.getRequestBody().readAllBytes();
            if (ex.getRequestMethod().equals("PUT")) {
                try {
                    sync();
                    respond(ex, 200, "{\"message\":\"Successfully registered\",\"modified\":true}".getBytes(StandardCharsets.UTF_8), Map.of());
                } catch (Exception e) {
                    respond(ex, 500, Json.toBytes(Map.of("message", String.valueOf(e.getMessage()))), Map.of());
                }
                return;
            }
            if (!ex.getRequestMethod().equals("POST")) {
                respond(ex, 200, ("{\"function_count\":" + app.functionsById().size() + ",\"mode\":\"dev\"}").getBytes(StandardCharsets.UTF_8), Map.of());
                return;
            }
            Map<String, String> query = new HashMap<>();
            String raw = ex.getRequestURI().getRawQuery();
            for (String p : raw == null ? new String[0] : raw.split("&")) {
                int eq = p.indexOf('=');
                if (eq > 0) {
                    query.put(p.substring(0, eq), URLDecoder.decode(p.substring(eq + 1), StandardCharsets.UTF_8));
                }
            }
            CallRequest request = Json.mapper().readValue(body, CallRequest.class);
            Map<String, List<String>> headers = new HashMap<>(ex.getRequestHeaders());
            CallResult result = app.call(query.get("fnId"), query.getOrDefault("stepId", "step"), request,
                    new RawRequest("POST", ex.getRequestURI().toString(), headers, body));
            Map<String, String> out = new HashMap<>();
            if (result.status() >= 300 || result.status() == 206) {
                out.put(Headers.NO_RETRY, Boolean.toString(result.noRetry()));
            }
            if (result.retryAfter() != null) {
                out.put(Headers.RETRY_AFTER, result.retryAfter());
            }
            respond(ex, result.status(), result.body(), out);
        }
    }

    private static void respond(HttpExchange ex, int status, byte[] body, Map<String, String> headers) throws IOException {
        ex.getResponseHeaders().add("Content-Type", "application/json");
        ex.getResponseHeaders().add(Headers.SDK, Loomstep.SDK_HEADER);
        headers.forEach((k, v) -> ex.getResponseHeaders().add(k, v));
        ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        try (OutputStream os = ex.getResponseBody()) {
            os.write(body);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }

    static JsonNode tree(Object o) {
        return Json.toTree(o);
    }
}
