package dev.loomstep.protocol;

import java.util.List;
import java.util.Map;

/** The HTTP request a call came in, as the adapter received it (for middleware that needs it). */
public record RawRequest(String method, String url, Map<String, List<String>> headers, byte[] body) {
    /** The first value of a header, case-insensitively, or null. */
    public String header(String name) {
        for (var e : headers.entrySet()) {
            if (e.getKey().equalsIgnoreCase(name) && !e.getValue().isEmpty()) {
                return e.getValue().get(0);
            }
        }
        return null;
    }
}
