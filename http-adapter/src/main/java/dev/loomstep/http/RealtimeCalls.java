package dev.loomstep.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.loomstep.Config;
import dev.loomstep.protocol.Json;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The realtime calls of the Inngest API, made as the JS SDK makes them: {@code POST /v1/realtime/publish?
 * channel=&topic=[&run_id=]} with the JSON data as the body, and {@code POST /v1/realtime/token} with
 * {@code [{channel, name, kind: "run"}]} answered by {@code {"jwt": …}}. One attempt each; a failure is thrown.
 */
final class RealtimeCalls {
    private final Config config;
    private final SignalClient api;

    RealtimeCalls(Config config, SignalClient api) {
        this.config = config;
        this.api = api;
    }

    void publish(String channel, String topic, String runId, JsonNode data) {
        String url = origin() + "/v1/realtime/publish?channel=" + enc(channel) + "&topic=" + enc(topic)
                + (runId == null ? "" : "&run_id=" + enc(runId));
        String what = "a realtime message to channel \"" + channel + "\" topic \"" + topic + "\"";
        HttpResponse<byte[]> res = api.post(URI.create(url), Json.toBytes(data == null ? Json.nodes().nullNode() : data),
                "application/json", what);
        if (res.statusCode() < 200 || res.statusCode() >= 300) {
            throw refused("the realtime API at " + origin() + " refused " + what, res);
        }
    }

    String token(String channel, List<String> topics) {
        ArrayNode body = Json.nodes().arrayNode();
        for (String t : topics) {
            body.addObject().put("channel", channel).put("name", t).put("kind", "run");
        }
        HttpResponse<byte[]> res = api.post(URI.create(origin() + "/v1/realtime/token"), Json.toBytes(body), "application/json",
                "a realtime token request for channel \"" + channel + "\"");
        if (res.statusCode() < 200 || res.statusCode() >= 300) {
            throw refused("the realtime API at " + origin() + " refused a token for channel \"" + channel + "\" topics " + topics, res);
        }
        JsonNode jwt = parse(res.body()).path("jwt");
        if (!jwt.isTextual() || jwt.asText().isEmpty()) {
            throw new EventSendException("the realtime API at " + origin() + " answered a token request without {\"jwt\": …}: "
                    + Registrar.oneLine(new String(res.body(), StandardCharsets.UTF_8)), res.statusCode(), null);
        }
        return jwt.asText();
    }

    private String origin() {
        String o = config.apiOrigin();
        return o.endsWith("/") ? o.substring(0, o.length() - 1) : o;
    }

    private static EventSendException refused(String what, HttpResponse<byte[]> res) {
        JsonNode answer = parse(res.body());
        String detail = answer.path("error").isTextual() ? answer.get("error").asText()
                : new String(res.body(), 0, Math.min(res.body().length, 300), StandardCharsets.UTF_8);
        return new EventSendException(what + " with " + res.statusCode() + ": " + Registrar.oneLine(detail), res.statusCode(), null);
    }

    private static JsonNode parse(byte[] body) {
        try {
            return body.length == 0 ? Json.nodes().missingNode() : Json.mapper().readTree(body);
        } catch (IOException e) {
            return Json.nodes().missingNode();
        }
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
