package dev.loomstep.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Local stand-ins, on loopback, for what a devserver calls on an SDK's behalf: one fake per model
 * provider format the JS SDK supports, answering in that provider's response shape with token usage,
 * and an echo endpoint for {@code step.fetch}. Each checks the provider's auth the way the real one
 * expects it and answers 401 otherwise, so a test sees a wrong header as a failure.
 *
 * <ul>
 *   <li>{@code POST {openaiBase()}chat/completions}: {@code Authorization: Bearer KEY}</li>
 *   <li>{@code POST {anthropicBase()}messages}: {@code x-api-key: KEY} and {@code anthropic-version}</li>
 *   <li>{@code POST {geminiBase()}models/{model}:generateContent?key=KEY}</li>
 *   <li>{@code ANY /echo...}: answers 200 with {@code {method, path, query, headers, body}} as JSON</li>
 * </ul>
 *
 * The reply text is {@code "echo: "} and the last user message, so a test can tell answers apart.
 * {@link #failNext} makes the next requests to a path answer an error status, {@link #dropNext} makes them
 * get no answer at all (the connection is closed), to exercise the executor's retries.
 */
public final class FakeModelProviders implements AutoCloseable {
    /** The API key every fake accepts. */
    public static final String KEY = "test-key";

    /** One request as the fake received it. */
    public record Received(String method, String path, String query, Map<String, String> headers, String body) {
        public JsonNode json() {
            try {
                return MAPPER.readTree(body);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final HttpServer server;
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final Map<String, AtomicInteger> failures = new ConcurrentHashMap<>();
    private final Map<String, Integer> failureStatus = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> drops = new ConcurrentHashMap<>();

    private FakeModelProviders(HttpServer server) {
        this.server = server;
    }

    /** Starts the fakes on a free loopback port. */
    public static FakeModelProviders start() {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            var fakes = new FakeModelProviders(server);
            server.createContext("/", fakes::handle);
            server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
            server.start();
            return fakes;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the fake model providers: " + e.getMessage(), e);
        }
    }

    public String origin() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    public String openaiBase() {
        return origin() + "/openai/v1/";
    }

    public String anthropicBase() {
        return origin() + "/anthropic/v1/";
    }

    public String geminiBase() {
        return origin() + "/gemini/v1beta/";
    }

    /** The echo endpoint for fetch steps ({@code path} is appended: {@code "/orders?x=1"}). */
    public String echo(String path) {
        return origin() + "/echo" + path;
    }

    /** The next {@code times} requests whose path starts with {@code pathPrefix} answer {@code status}. */
    public void failNext(String pathPrefix, int times, int status) {
        failures.put(pathPrefix, new AtomicInteger(times));
        failureStatus.put(pathPrefix, status);
    }

    /** The next {@code times} requests whose path starts with {@code pathPrefix} get no answer (the connection closes). */
    public void dropNext(String pathPrefix, int times) {
        drops.put(pathPrefix, new AtomicInteger(times));
    }

    /** Every request received, in order. */
    public List<Received> received() {
        return List.copyOf(received);
    }

    /** The requests whose path starts with {@code pathPrefix}. */
    public List<Received> received(String pathPrefix) {
        return received.stream().filter(r -> r.path().startsWith(pathPrefix)).toList();
    }

    public void clear() {
        received.clear();
        failures.clear();
        failureStatus.clear();
        drops.clear();
    }

    @Override
    public void close() {
        server.stop(0);
    }

    // ---------------------------------------------------------------------------------------------

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            var headers = new TreeMap<String, String>();
            ex.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), String.join(",", v)));
            String path = ex.getRequestURI().getRawPath();
            String query = ex.getRequestURI().getRawQuery();
            received.add(new Received(ex.getRequestMethod(), path, query, Map.copyOf(headers), body));
            if (take(drops, path) != null) {
                return; // closed without a status line: the caller gets an I/O error
            }
            String failing = take(failures, path);
            if (failing != null) {
                send(ex, failureStatus.get(failing), "{\"error\":{\"message\":\"fake overloaded\"}}");
                return;
            }
            if (path.startsWith("/echo")) {
                ObjectNode out = MAPPER.createObjectNode().put("method", ex.getRequestMethod()).put("path", path).put("query", query);
                out.set("headers", MAPPER.valueToTree(headers));
                out.put("body", body);
                ex.getResponseHeaders().add("X-Echo", "yes");
                send(ex, 200, out.toString());
            } else if (path.startsWith("/openai/") && path.endsWith("/chat/completions")) {
                if (!("Bearer " + KEY).equals(headers.get("authorization"))) {
                    send(ex, 401, "{\"error\":{\"message\":\"Incorrect API key provided\"}}");
                    return;
                }
                send(ex, 200, openai(readJson(body)).toString());
            } else if (path.startsWith("/anthropic/") && path.endsWith("/messages")) {
                if (!KEY.equals(headers.get("x-api-key")) || !headers.containsKey("anthropic-version")) {
                    send(ex, 401, "{\"type\":\"error\",\"error\":{\"type\":\"authentication_error\",\"message\":\"invalid x-api-key\"}}");
                    return;
                }
                send(ex, 200, anthropic(readJson(body)).toString());
            } else if (path.startsWith("/gemini/") && path.endsWith(":generateContent")) {
                if (query == null || !List.of(query.split("&")).contains("key=" + KEY)) {
                    send(ex, 400, "{\"error\":{\"code\":400,\"message\":\"API key not valid\",\"status\":\"INVALID_ARGUMENT\"}}");
                    return;
                }
                send(ex, 200, gemini(readJson(body)).toString());
            } else {
                send(ex, 404, "{\"error\":\"no fake at " + path + "\"}");
            }
        }
    }

    private static String take(Map<String, AtomicInteger> counters, String path) {
        for (var e : counters.entrySet()) {
            if (path.startsWith(e.getKey()) && e.getValue().getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                return e.getKey();
            }
        }
        return null;
    }

    private static JsonNode readJson(String body) {
        try {
            return MAPPER.readTree(body);
        } catch (IOException e) {
            return MAPPER.createObjectNode();
        }
    }

    private static void send(HttpExchange ex, int status, String json) throws IOException {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", "application/json");
        ex.sendResponseHeaders(status, bytes.length);
        ex.getResponseBody().write(bytes);
    }

    private static String lastUserText(JsonNode messages, String textField) {
        String last = "";
        for (JsonNode m : messages) {
            if ("user".equals(m.path("role").asText())) {
                JsonNode c = m.path(textField);
                last = c.isTextual() ? c.asText() : c.isArray() && c.size() > 0 ? c.get(c.size() - 1).path("text").asText() : c.toString();
            }
        }
        return last;
    }

    private static ObjectNode openai(JsonNode req) {
        ObjectNode out = MAPPER.createObjectNode().put("id", "chatcmpl-fake").put("object", "chat.completion")
                .put("model", req.path("model").asText());
        ObjectNode choice = out.putArray("choices").addObject().put("index", 0).put("finish_reason", "stop");
        choice.putObject("message").put("role", "assistant").put("content", "echo: " + lastUserText(req.path("messages"), "content"));
        out.putObject("usage").put("prompt_tokens", 7).put("completion_tokens", 3).put("total_tokens", 10);
        return out;
    }

    private static ObjectNode anthropic(JsonNode req) {
        ObjectNode out = MAPPER.createObjectNode().put("id", "msg_fake").put("type", "message").put("role", "assistant")
                .put("model", req.path("model").asText());
        out.putArray("content").addObject().put("type", "text").put("text", "echo: " + lastUserText(req.path("messages"), "content"));
        out.put("stop_reason", "end_turn");
        out.putObject("usage").put("input_tokens", 11).put("output_tokens", 4);
        return out;
    }

    private static ObjectNode gemini(JsonNode req) {
        String last = "";
        for (JsonNode c : req.path("contents")) {
            JsonNode parts = c.path("parts");
            if (parts.size() > 0) {
                last = parts.get(parts.size() - 1).path("text").asText();
            }
        }
        ObjectNode out = MAPPER.createObjectNode();
        ObjectNode candidate = out.putArray("candidates").addObject().put("finishReason", "STOP").put("index", 0);
        ObjectNode content = candidate.putObject("content").put("role", "model");
        content.putArray("parts").addObject().put("text", "echo: " + last);
        out.putObject("usageMetadata").put("promptTokenCount", 5).put("candidatesTokenCount", 2).put("totalTokenCount", 7);
        return out;
    }
}
