package dev.loomstep.internal.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loomstep.ai.AiModel;
import dev.loomstep.fetch.FetchRequest;
import dev.loomstep.fetch.FetchResponse;
import dev.loomstep.protocol.Json;
import dev.loomstep.protocol.Op;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The ops of the steps the executor performs for the SDK, shaped field by field as the JS SDK 4.24
 * sends them ({@code step.fetch} → {@code Gateway}, {@code step.ai.infer} → {@code AIGateway}), and
 * the reading of what the executor memoizes for them.
 */
final class GatewayOps {
    private GatewayOps() {}

    /** {@code opts: {url, method, headers, body?}}. */
    static Op.Gateway fetch(String hashedId, String displayName, FetchRequest request) {
        ObjectNode opts = Json.nodes().objectNode();
        opts.put("url", request.url());
        opts.put("method", request.method());
        ObjectNode headers = opts.putObject("headers");
        request.headers().forEach(headers::put);
        if (request.body() != null) {
            opts.put("body", request.body());
        }
        return new Op.Gateway(hashedId, displayName, opts);
    }

    /** The executor's record of the response: {@code {url, headers, body, status_code}}. */
    static FetchResponse response(String id, JsonNode data) {
        if (data == null || !data.isObject() || !data.has("status_code")) {
            throw new IllegalStateException("the executor recorded fetch step \"" + id + "\" as " + data
                    + ", not as a response {url, headers, body, status_code}");
        }
        Map<String, String> headers = new LinkedHashMap<>();
        data.path("headers").fields().forEachRemaining(e -> headers.put(e.getKey(), e.getValue().asText()));
        JsonNode body = data.get("body");
        return new FetchResponse(data.path("url").asText(null), data.path("status_code").asInt(), headers,
                body == null || body.isNull() ? "" : body.isTextual() ? body.asText() : body.toString());
    }

    /**
     * {@code opts: {type: "step.ai.infer", url, headers?, auth_key, format, body}}; the body gets the
     * model's name when it has none, as the JS SDK's OpenAI and Anthropic adapters do.
     */
    static Op.AIGateway infer(String hashedId, String displayName, AiModel model, JsonNode body) {
        if (!(body instanceof ObjectNode object)) {
            throw new IllegalArgumentException("the body of ai.infer step \"" + displayName + "\" must be a JSON object, got "
                    + (body == null ? "null" : body.getNodeType().name().toLowerCase()));
        }
        ObjectNode sent = object.deepCopy();
        if (model.modelInBody() && (!sent.hasNonNull("model") || sent.get("model").asText().isEmpty())) {
            sent.put("model", model.model());
        }
        ObjectNode opts = Json.nodes().objectNode();
        opts.put("type", "step.ai.infer");
        opts.put("url", model.url());
        Map<String, String> headers = model.headers();
        if (headers != null) {
            ObjectNode h = opts.putObject("headers");
            headers.forEach(h::put);
        }
        opts.put("auth_key", model.resolvedKey());
        opts.put("format", model.format().wire());
        opts.set("body", sent);
        return new Op.AIGateway(hashedId, displayName, opts);
    }

    /** {@code opts: {input: [input], type: "step.ai.wrap"}}. */
    static JsonNode wrapOpts(JsonNode input) {
        ObjectNode opts = Json.nodes().objectNode();
        opts.putArray("input").add(input == null ? Json.nodes().nullNode() : input);
        opts.put("type", "step.ai.wrap");
        return opts;
    }
}
