package dev.loomstep.devserver.executor;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.protocol.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;

/**
 * A streamed SDK answer, as the Inngest executor reads it: status 201, keepalive bytes (spaces) while the
 * function runs, then one JSON envelope {@code {"status": 206, "headers": {...}, "body": ...}} holding the
 * real answer (the Python SDK with {@code INNGEST_STREAMING=force}, the JS SDK's streaming mode). The body
 * may be JSON or a string of JSON (Python sends the latter); an {@code "error"} in the envelope is the call's
 * error.
 */
final class StreamedAnswer {
    /** The status that says an answer was streamed. */
    static final int STATUS = 201;

    private StreamedAnswer() {}

    /**
     * The real answer inside a streamed one: its status, the call's headers with the envelope's over them,
     * and its body.
     *
     * @throws IllegalArgumentException with the reason (to follow "the SDK streamed an answer ") when the
     *                                  body is not such an envelope
     */
    static SdkHttp.Response unwrap(SdkHttp.Response streamed) {
        JsonNode envelope;
        try {
            envelope = Json.mapper().readTree(streamed.body()); // the keepalive spaces are JSON whitespace
        } catch (IOException e) {
            envelope = null;
        }
        if (envelope == null || !envelope.isObject()) {
            throw new IllegalArgumentException("(status 201) whose body is not a JSON object: " + snippet(streamed.body()));
        }
        JsonNode error = envelope.get("error");
        if (error != null && !error.isNull()) {
            throw new IllegalArgumentException("(status 201) that says the call failed: " + error.asText(error.toString()));
        }
        JsonNode status = envelope.get("status");
        if (status == null || !status.canConvertToInt() || status.asInt() < 100 || status.asInt() > 599) {
            throw new IllegalArgumentException("(status 201) whose envelope has no HTTP \"status\": " + snippet(streamed.body()));
        }
        var headers = new HashMap<>(streamed.headers());
        JsonNode more = envelope.get("headers");
        if (more != null && more.isObject()) {
            more.properties().forEach(h -> {
                if (h.getValue().isTextual()) {
                    headers.put(h.getKey().toLowerCase(Locale.ROOT), h.getValue().asText());
                }
            });
        }
        JsonNode body = envelope.get("body");
        byte[] bytes = body == null || body.isNull() ? new byte[0]
                : body.isTextual() ? body.asText().getBytes(StandardCharsets.UTF_8)
                : Json.toString(body).getBytes(StandardCharsets.UTF_8);
        return new SdkHttp.Response(status.asInt(), headers, bytes);
    }

    private static String snippet(byte[] body) {
        String s = new String(body, StandardCharsets.UTF_8).strip();
        return s.length() > 200 ? s.substring(0, 200) + "…" : s;
    }
}
