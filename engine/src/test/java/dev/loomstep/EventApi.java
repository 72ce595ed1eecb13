package dev.loomstep;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.loomstep.protocol.Json;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A loopback stand-in for the Inngest event API ({@code POST /e/{key}}) and register endpoint
 * ({@code POST /fn/register}), shared by the JS peer and Loomstep so both send for real. Event ids are
 * derived from each event's name and data, so both SDKs get the same ids for the same events.
 */
final class EventApi implements AutoCloseable {
    /** An event as received, reduced to what both SDKs must agree on. */
    record Received(String sdk, String name, JsonNode data) {}

    private final HttpServer server;
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final AtomicReference<String> lastRegister = new AtomicReference<>();
    /** When set, the event endpoint answers this status with an error body instead of accepting events. */
    private volatile int failStatus;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private EventApi(HttpServer server) {
        this.server = server;
    }

    static EventApi start() throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        var api = new EventApi(server);
        server.createContext("/e/", api::events);
        server.createContext("/fn/register", api::register);
        server.createContext("/v1/signals", api::signals);
        server.createContext("/v1/realtime/publish", api::publishes);
        server.start();
        return api;
    }

    /** {@code http://127.0.0.1:{port}}, for INNGEST_EVENT_API_BASE_URL and INNGEST_API_BASE_URL. */
    String origin() {
        return "http://" + server.getAddress().getHostString() + ":" + server.getAddress().getPort();
    }

    /** A Loomstep {@link EventSender} that posts to this API over HTTP, as the HTTP adapter's sender does. */
    EventSender sender(String sdkHeader) {
        return new EventSender() {
            @Override
            public List<String> send(List<Event> events) throws Exception {
                return sendEvents(sdkHeader, events);
            }

            @Override
            public Optional<String> sendSignal(String signal, JsonNode data) throws Exception {
                ObjectNode body = Json.nodes().objectNode().put("signal", signal);
                if (data != null) {
                    body.set("data", data);
                }
                var req = HttpRequest.newBuilder(URI.create(origin() + "/v1/signals"))
                        .timeout(Duration.ofSeconds(10))
                        .header("Content-Type", "application/json")
                        .header("X-Inngest-Sdk", sdkHeader)
                        .POST(HttpRequest.BodyPublishers.ofByteArray(Json.toBytes(body)))
                        .build();
                HttpResponse<byte[]> r = client.send(req, HttpResponse.BodyHandlers.ofByteArray());
                if (r.statusCode() == 404) {
                    return Optional.empty();
                }
                if (r.statusCode() != 200) { // as the HTTP adapter's SignalClient: a refused signal fails the step
                    throw new IllegalStateException("signal API answered " + r.statusCode() + ": " + new String(r.body(), StandardCharsets.UTF_8));
                }
                return Optional.of(Json.mapper().readTree(r.body()).path("data").path("run_id").asText());
            }

            @Override
            public void publish(String channel, String topic, String runId, JsonNode data) throws Exception {
                String query = "channel=" + enc(channel) + "&topic=" + enc(topic) + (runId == null ? "" : "&run_id=" + enc(runId));
                var req = HttpRequest.newBuilder(URI.create(origin() + "/v1/realtime/publish?" + query))
                        .timeout(Duration.ofSeconds(10))
                        .header("Content-Type", "application/json")
                        .header("X-Inngest-Sdk", sdkHeader)
                        .POST(HttpRequest.BodyPublishers.ofByteArray(Json.toBytes(data)))
                        .build();
                HttpResponse<byte[]> r = client.send(req, HttpResponse.BodyHandlers.ofByteArray());
                if (r.statusCode() != 200) {
                    throw new IllegalStateException("realtime API answered " + r.statusCode());
                }
            }
        };
    }

    private List<String> sendEvents(String sdkHeader, List<Event> events) throws Exception {
        {
            var req = HttpRequest.newBuilder(URI.create(origin() + "/e/test-key"))
                    .timeout(Duration.ofSeconds(10))
                    .header("Content-Type", "application/json")
                    .header("X-Inngest-Sdk", sdkHeader)
                    .POST(HttpRequest.BodyPublishers.ofByteArray(Json.toBytes(events)))
                    .build();
            HttpResponse<byte[]> r = client.send(req, HttpResponse.BodyHandlers.ofByteArray());
            JsonNode body = Json.mapper().readTree(r.body());
            if (r.statusCode() != 200 || body.path("status").asInt() != 200) {
                throw new IllegalStateException("event API answered " + r.statusCode() + ": " + new String(r.body(), StandardCharsets.UTF_8));
            }
            var ids = new ArrayList<String>();
            body.path("ids").forEach(id -> ids.add(id.asText()));
            return ids;
        }
    }

    /** Events received from the SDK whose {@code X-Inngest-Sdk} header starts with {@code sdkPrefix}. */
    List<Received> received(String sdkPrefix) {
        return received.stream().filter(r -> r.sdk().startsWith(sdkPrefix))
                .map(r -> new Received("", r.name(), r.data())).toList();
    }

    Optional<String> lastRegisterBody() {
        return Optional.ofNullable(lastRegister.get());
    }

    void clear() {
        received.clear();
        lastRegister.set(null);
        failStatus = 0;
    }

    /** Makes the event and signal endpoints reject every send with {@code status} (0 to accept again). */
    void failWith(int status) {
        failStatus = status;
    }

    private void events(HttpExchange ex) throws IOException {
        try (ex) {
            JsonNode body = Json.mapper().readTree(readAll(ex.getRequestBody()));
            int fail = failStatus;
            if (fail != 0) {
                respond(ex, fail, "{\"error\":\"event API is failing on purpose\",\"status\":" + fail + "}");
                return;
            }
            ArrayNode events = body.isArray() ? (ArrayNode) body : Json.nodes().arrayNode().add(body);
            String sdk = String.valueOf(ex.getRequestHeaders().getFirst("X-Inngest-Sdk"));
            ArrayNode ids = Json.nodes().arrayNode();
            for (JsonNode e : events) {
                received.add(new Received(sdk, e.path("name").asText(), e.path("data")));
                ids.add("evt-" + digest(e.path("name").asText() + canonical(e.path("data"))));
            }
            ObjectNode answer = Json.nodes().objectNode();
            answer.set("ids", ids);
            answer.put("status", 200);
            respond(ex, 200, answer.toString());
        }
    }

    /**
     * {@code POST /v1/signals}: recorded as a received "event" named {@code signal:{name}}; a signal named
     * {@code …/nobody} finds no waiter (404, as Inngest answers), any other resumes run {@code run-{digest}}.
     */
    private void signals(HttpExchange ex) throws IOException {
        try (ex) {
            JsonNode body = Json.mapper().readTree(readAll(ex.getRequestBody()));
            String name = body.path("signal").asText();
            String sdk = String.valueOf(ex.getRequestHeaders().getFirst("X-Inngest-Sdk"));
            received.add(new Received(sdk, "signal:" + name, body.path("data")));
            int fail = failStatus;
            if (fail != 0) {
                respond(ex, fail, "{\"error\":\"signal API is failing on purpose\",\"status\":" + fail + "}");
                return;
            }
            if (name.endsWith("/nobody")) {
                respond(ex, 404, "{\"error\":\"No signal found\",\"data\":null,\"status\":404}");
                return;
            }
            respond(ex, 200, "{\"data\":{\"run_id\":\"run-" + digest(name) + "\"},\"metadata\":{}}");
        }
    }

    /**
     * {@code POST /v1/realtime/publish?channel=&topic=[&run_id=]}: recorded as a received "event" named
     * {@code publish:{channel}/{topic}@{run_id}} with the body as its data.
     */
    private void publishes(HttpExchange ex) throws IOException {
        try (ex) {
            JsonNode body = Json.mapper().readTree(readAll(ex.getRequestBody()));
            String sdk = String.valueOf(ex.getRequestHeaders().getFirst("X-Inngest-Sdk"));
            var q = new java.util.TreeMap<String, String>();
            for (String kv : String.valueOf(ex.getRequestURI().getRawQuery()).split("&")) {
                int eq = kv.indexOf('=');
                if (eq > 0) {
                    q.put(kv.substring(0, eq), java.net.URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8));
                }
            }
            received.add(new Received(sdk, "publish:" + q.get("channel") + "/" + q.get("topic") + "@" + q.get("run_id")
                    + " " + ex.getRequestHeaders().getFirst("Content-Type"), body));
            respond(ex, 200, "{}");
        }
    }

    private static String enc(String s) {
        return java.net.URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private void register(HttpExchange ex) throws IOException {
        try (ex) {
            lastRegister.set(new String(readAll(ex.getRequestBody()), StandardCharsets.UTF_8));
            respond(ex, 200, "{\"ok\":true,\"modified\":true}");
        }
    }

    private static byte[] readAll(InputStream in) throws IOException {
        return in.readAllBytes();
    }

    private static void respond(HttpExchange ex, int status, String json) throws IOException {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, bytes.length);
        ex.getResponseBody().write(bytes);
    }

    /** JSON text with object keys sorted, so the same data gives the same id whatever the key order. */
    private static String canonical(JsonNode n) {
        if (n.isObject()) {
            var sorted = new TreeMap<String, JsonNode>();
            n.fields().forEachRemaining(e -> sorted.put(e.getKey(), e.getValue()));
            var sb = new StringBuilder("{");
            for (Map.Entry<String, JsonNode> e : sorted.entrySet()) {
                sb.append(Json.nodes().textNode(e.getKey())).append(':').append(canonical(e.getValue())).append(',');
            }
            return sb.append('}').toString();
        }
        if (n.isArray()) {
            var sb = new StringBuilder("[");
            n.forEach(v -> sb.append(canonical(v)).append(','));
            return sb.append(']').toString();
        }
        return n.toString();
    }

    private static String digest(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(s.getBytes(StandardCharsets.UTF_8))).substring(0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        client.close();
    }
}
