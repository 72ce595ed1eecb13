package dev.loomstep.http;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One HTTP request to the SDK endpoint, as any server adapter sees it, with the body already read.
 *
 * @param method  the HTTP method, upper case
 * @param url     the absolute request URL as the client addressed it, query string included
 * @param headers request headers; looked up case-insensitively
 * @param body    the raw body bytes ({@code byte[0]} when there is none); signatures are checked over them
 */
public record SdkRequest(String method, String url, Map<String, List<String>> headers, byte[] body) {

    public SdkRequest {
        var copy = new TreeMap<String, List<String>>(String.CASE_INSENSITIVE_ORDER);
        if (headers != null) {
            headers.forEach((k, v) -> {
                if (k != null && v != null) {
                    copy.merge(k, List.copyOf(v), (a, b) -> {
                        var both = new java.util.ArrayList<>(a);
                        both.addAll(b);
                        return List.copyOf(both);
                    });
                }
            });
        }
        headers = copy;
        body = body == null ? new byte[0] : body;
        method = method == null ? "" : method.toUpperCase(java.util.Locale.ROOT);
    }

    /** The first value of a header, or null. */
    public String header(String name) {
        List<String> values = headers.get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    /** The first value of a query parameter, decoded, or null. */
    public String query(String name) {
        int q = url.indexOf('?');
        if (q < 0) {
            return null;
        }
        int end = url.indexOf('#', q);
        String query = url.substring(q + 1, end < 0 ? url.length() : end);
        for (String pair : query.split("&")) {
            int eq = pair.indexOf('=');
            String key = decode(eq < 0 ? pair : pair.substring(0, eq));
            if (key.equals(name)) {
                return eq < 0 ? "" : decode(pair.substring(eq + 1));
            }
        }
        return null;
    }

    private static String decode(String s) {
        try {
            return URLDecoder.decode(s, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return s; // a malformed %-escape: keep the text as sent rather than fail the request
        }
    }
}
