package dev.loomstep.http;

import java.util.Map;

/**
 * An answer a durable endpoint's handler chooses itself; any other value a handler returns is answered
 * as {@code 200} with the value as JSON. It is also the run's output: a client redirected to wait for the
 * result gets this status, these headers and this body.
 *
 * @param status  the HTTP status
 * @param headers response headers
 * @param body    the body text
 */
public record EndpointResponse(int status, Map<String, String> headers, String body) {

    public EndpointResponse {
        if (status < 100 || status > 599) {
            throw new IllegalArgumentException("an HTTP status is between 100 and 599, got " + status);
        }
        headers = headers == null ? Map.of() : Map.copyOf(headers);
        body = body == null ? "" : body;
    }

    /** A response with a body of the given content type. */
    public static EndpointResponse of(int status, String contentType, String body) {
        return new EndpointResponse(status, Map.of("Content-Type", contentType), body);
    }
}
