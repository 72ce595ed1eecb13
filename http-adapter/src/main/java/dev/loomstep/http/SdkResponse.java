package dev.loomstep.http;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The SDK endpoint's answer, ready for any server adapter to write.
 *
 * @param status  the HTTP status
 * @param headers response headers, in the order they should be written
 * @param body    the UTF-8 JSON body (may be empty)
 */
public record SdkResponse(int status, Map<String, String> headers, byte[] body) {

    public SdkResponse {
        headers = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(headers));
        body = body == null ? new byte[0] : body;
    }

    /** The first header with this name, case-insensitively, or null. */
    public String header(String name) {
        for (var e : headers.entrySet()) {
            if (e.getKey().equalsIgnoreCase(name)) {
                return e.getValue();
            }
        }
        return null;
    }

    public String bodyText() {
        return new String(body, StandardCharsets.UTF_8);
    }
}
