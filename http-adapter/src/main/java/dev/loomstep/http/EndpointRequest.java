package dev.loomstep.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.protocol.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * The HTTP request a durable endpoint's handler answers. On the first attempt it is the client's request;
 * when the executor resumes the run (after a sleep or a retry) it is the executor's replay of it: the same
 * method, URL (with its query string) and body, with the executor's headers.
 *
 * @param runId   the id of the run this request belongs to
 * @param method  the HTTP method, upper case
 * @param url     the absolute URL, query string included
 * @param headers the request headers
 * @param body    the raw body ({@code byte[0]} when there is none)
 */
public record EndpointRequest(String runId, String method, String url, Map<String, List<String>> headers, byte[] body) {

    public EndpointRequest {
        headers = headers == null ? Map.of() : headers;
        body = body == null ? new byte[0] : body;
    }

    /** The first value of a header, case-insensitively, or null. */
    public String header(String name) {
        for (var e : headers.entrySet()) {
            if (e.getKey().equalsIgnoreCase(name) && !e.getValue().isEmpty()) {
                return e.getValue().get(0);
            }
        }
        return null;
    }

    /** The first value of a query parameter, decoded, or null. */
    public String query(String name) {
        return new SdkRequest(method, url, Map.of(), null).query(name);
    }

    /** The body as UTF-8 text. */
    public String bodyText() {
        return new String(body, StandardCharsets.UTF_8);
    }

    /** The body parsed as JSON; an empty body is JSON null. @throws IllegalArgumentException when it is not JSON */
    public JsonNode json() {
        if (body.length == 0) {
            return Json.nodes().nullNode();
        }
        try {
            return Json.mapper().readTree(body);
        } catch (IOException e) {
            throw new IllegalArgumentException("the request body is not JSON: " + e.getMessage(), e);
        }
    }
}
