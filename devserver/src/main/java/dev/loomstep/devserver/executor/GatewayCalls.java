package dev.loomstep.devserver.executor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loomstep.protocol.Json;
import dev.loomstep.protocol.WireError;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The HTTP requests the executor makes for an SDK: {@code Gateway} ({@code step.fetch}) and
 * {@code AIGateway} ({@code step.ai.infer}), built from the op's {@code opts} and judged as Inngest's
 * executor does (pkg/util/gateway, pkg/util/aigateway): a fetch succeeds with any HTTP status and fails
 * only without a response; a model call also fails on a status above 299.
 */
final class GatewayCalls {
    /** Headers the JDK client sets itself and refuses from callers. */
    private static final Set<String> RESTRICTED = Set.of("host", "content-length", "connection", "expect", "upgrade",
            "transfer-encoding", "keep-alive");

    /** What came of one call: the step's data, or the attempt's error. */
    record Outcome(JsonNode data, WireError error, int statusCode, JsonNode detail) {}

    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .followRedirects(HttpClient.Redirect.NORMAL)
            .build();
    private final Duration timeout;

    GatewayCalls(Duration timeout) {
        this.timeout = timeout;
    }

    /** Makes the request an op describes; never throws for the request's own failures. */
    Outcome call(String op, JsonNode opts) throws InterruptedException {
        return "AIGateway".equals(op) ? infer(opts) : fetch(opts);
    }

    // ---------------------------------------------------------------- step.fetch

    private Outcome fetch(JsonNode opts) throws InterruptedException {
        String url = opts.path("url").asText("");
        String method = opts.path("method").asText("");
        method = method.isBlank() ? "POST" : method.toUpperCase(Locale.ROOT); // the server's default
        ObjectNode detail = Json.nodes().objectNode().put("method", method).put("url", url);
        HttpRequest.Builder req;
        try {
            req = HttpRequest.newBuilder(URI.create(url)).timeout(timeout);
        } catch (IllegalArgumentException e) {
            return failed("GatewayError", "Error making gateway request: invalid URL \"" + url + "\": " + e.getMessage(), null, detail);
        }
        headers(req, opts.path("headers"));
        String body = opts.path("body").isMissingNode() || opts.path("body").isNull() ? "" : opts.path("body").asText();
        try {
            req.method(method, body.isEmpty() ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(asJson(body), StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            return failed("GatewayError", "Error making gateway request: " + e.getMessage(), null, detail);
        }
        HttpResponse<String> res;
        try {
            res = http.send(req.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            return failed("GatewayError", "Error making gateway request: " + describe(e), null, detail);
        }
        ObjectNode data = Json.nodes().objectNode();
        data.put("url", url);
        ObjectNode headers = data.putObject("headers");
        res.headers().map().forEach((k, v) -> {
            if (!k.startsWith(":")) {
                headers.put(canonical(k), String.join(",", v));
            }
        });
        data.put("body", res.body());
        data.put("status_code", res.statusCode());
        detail.put("status_code", res.statusCode());
        return new Outcome(data, null, res.statusCode(), detail);
    }

    /**
     * Inngest's executor sends a fetch body as JSON bytes: a body that is valid JSON goes as it is, any
     * other text as a JSON string (quoted). Done the same here, so a fetch behaves alike on both.
     */
    static String asJson(String body) {
        try {
            Json.mapper().readTree(body);
            return body;
        } catch (IOException notJson) {
            return Json.toString(Json.nodes().textNode(body));
        }
    }

    // ---------------------------------------------------------------- step.ai.infer

    private Outcome infer(JsonNode opts) throws InterruptedException {
        String format = opts.path("format").asText("");
        String authKey = opts.path("auth_key").asText("");
        String url = opts.path("url").asText("");
        ObjectNode detail = Json.nodes().objectNode().put("format", format).put("url", withoutKey(url))
                .put("model", opts.path("body").path("model").asText(null));
        if ("gemini".equals(format)) {
            // The key goes in the query (as Inngest's executor adds it, even when the URL has one already).
            url += (url.contains("?") ? "&" : "?") + "key=" + URLEncoder.encode(authKey, StandardCharsets.UTF_8);
        }
        HttpRequest.Builder req;
        try {
            req = HttpRequest.newBuilder(URI.create(url)).timeout(timeout);
        } catch (IllegalArgumentException e) {
            return failed("AIGatewayError", "Error making AI request: invalid URL \"" + withoutKey(url) + "\"", null, detail);
        }
        req.header("content-type", "application/json");
        switch (format) {
            case "gemini" -> { }
            case "bedrock" -> req.header("Authorization", authKey);
            case "anthropic" -> req.header("x-api-key", authKey);
            default -> req.header("Authorization", "Bearer " + authKey);
        }
        headers(req, opts.path("headers"));
        JsonNode body = opts.path("body");
        req.POST(HttpRequest.BodyPublishers.ofString(body.isMissingNode() ? "null" : Json.toString(body), StandardCharsets.UTF_8));
        HttpResponse<String> res;
        try {
            res = http.send(req.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            return failed("AIGatewayError", "Error making AI request: " + describe(e), "{\"error\":\"Error making AI request\"}", detail);
        }
        detail.put("status_code", res.statusCode());
        JsonNode parsed = parse(res.body());
        if (res.statusCode() > 299) {
            String text = res.body().isEmpty() ? "{\"error\":\"Error making AI request\"}" : res.body();
            return failed("AIGatewayError", "Error making AI request: unsuccessful status code: " + res.statusCode(), text, detail);
        }
        Usage.of(format, parsed).ifPresent(u -> detail.set("usage", u));
        return new Outcome(parsed, null, res.statusCode(), detail);
    }

    private static JsonNode parse(String body) {
        try {
            return Json.mapper().readTree(body);
        } catch (IOException notJson) {
            return Json.nodes().textNode(body);
        }
    }

    private static String withoutKey(String url) {
        return url.replaceAll("([?&]key=)[^&]*", "$1…");
    }

    // ---------------------------------------------------------------- shared

    private static void headers(HttpRequest.Builder req, JsonNode headers) {
        if (headers == null || !headers.isObject()) {
            return;
        }
        headers.fields().forEachRemaining(e -> {
            if (!RESTRICTED.contains(e.getKey().toLowerCase(Locale.ROOT))) {
                req.header(e.getKey(), e.getValue().asText());
            }
        });
    }

    /** Header names as Go's net/http writes them ({@code content-type} → {@code Content-Type}). */
    static String canonical(String name) {
        var out = new StringBuilder(name.length());
        boolean upper = true;
        for (char c : name.toCharArray()) {
            out.append(upper ? Character.toUpperCase(c) : Character.toLowerCase(c));
            upper = c == '-';
        }
        return out.toString();
    }

    private static String describe(IOException e) {
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null || m.isBlank() ? "" : ": " + m);
    }

    private static Outcome failed(String name, String message, String body, JsonNode detail) {
        return new Outcome(null, new WireError(name, message, body, null), 0, detail);
    }

    /** Token counts in each provider's response, as the timeline shows them. */
    static final class Usage {
        private Usage() {}

        static java.util.Optional<JsonNode> of(String format, JsonNode response) {
            Map<String, String> fields = switch (format) {
                case "anthropic" -> Map.of("input_tokens", "usage/input_tokens", "output_tokens", "usage/output_tokens");
                case "gemini" -> Map.of("input_tokens", "usageMetadata/promptTokenCount",
                        "output_tokens", "usageMetadata/candidatesTokenCount", "total_tokens", "usageMetadata/totalTokenCount");
                default -> Map.of("input_tokens", "usage/prompt_tokens", "output_tokens", "usage/completion_tokens",
                        "total_tokens", "usage/total_tokens");
            };
            ObjectNode usage = Json.nodes().objectNode();
            for (var e : new TreeMap<>(fields).entrySet()) {
                JsonNode v = response.at("/" + e.getValue());
                if (v.isNumber()) {
                    usage.put(e.getKey(), v.asLong());
                }
            }
            if (usage.isEmpty()) {
                return java.util.Optional.empty();
            }
            if (!usage.has("total_tokens")) {
                usage.put("total_tokens", usage.path("input_tokens").asLong() + usage.path("output_tokens").asLong());
            }
            return java.util.Optional.of(usage);
        }
    }
}
