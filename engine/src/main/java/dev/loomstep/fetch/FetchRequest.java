package dev.loomstep.fetch;

import java.net.URI;
import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * An HTTP request for {@link dev.loomstep.Step#fetch(FetchRequest)}: the executor makes it, not the
 * app, and records the response as the step's result.
 *
 * <pre>{@code
 * FetchRequest.post("https://api.example.com/orders").header("Content-Type", "application/json").body(json)
 * }</pre>
 *
 * Header names are kept lower-case and sorted, as the Fetch API's {@code Headers} (and so the JS SDK)
 * sends them; a header given twice is joined with {@code ", "}. The body is text: JSON, form data, or
 * anything else the target reads.
 */
public final class FetchRequest {
    private final String url;
    private final String method;
    private final Map<String, String> headers;
    private final String body;

    private FetchRequest(String url, String method, Map<String, String> headers, String body) {
        this.url = url;
        this.method = method;
        this.headers = headers;
        this.body = body;
    }

    /** A GET of {@code url} (absolute {@code http} or {@code https}). */
    public static FetchRequest get(String url) {
        return of("GET", url);
    }

    /** A POST to {@code url}; add a {@link #body(String)}. */
    public static FetchRequest post(String url) {
        return of("POST", url);
    }

    /** A request with any method ({@code PUT}, {@code DELETE}, …). */
    public static FetchRequest of(String method, String url) {
        if (method == null || method.isBlank()) {
            throw new IllegalArgumentException("a fetch method must not be blank");
        }
        return new FetchRequest(checkUrl(url), method.trim().toUpperCase(Locale.ROOT), new TreeMap<>(), null);
    }

    /** Adds a header; a second value for the same name is appended after {@code ", "}. */
    public FetchRequest header(String name, String value) {
        if (name == null || name.isBlank() || value == null) {
            throw new IllegalArgumentException("a fetch header needs a name and a value, got " + name + ": " + value);
        }
        var copy = new TreeMap<>(headers);
        copy.merge(name.trim().toLowerCase(Locale.ROOT), value, (a, b) -> a + ", " + b);
        return new FetchRequest(url, method, copy, body);
    }

    /** The request body, as text (for JSON, write it first: {@code mapper.writeValueAsString(order)}). */
    public FetchRequest body(String text) {
        return new FetchRequest(url, method, headers, text);
    }

    public String url() {
        return url;
    }

    public String method() {
        return method;
    }

    /** Lower-case names, sorted. */
    public Map<String, String> headers() {
        return Collections.unmodifiableMap(headers);
    }

    /** The body, or null for none. */
    public String body() {
        return body;
    }

    /**
     * The URL's host name, lower-case and without the port, as a WHATWG URL's {@code hostname}: the JS SDK
     * names a fetch step {@code "step.fetch: {hostname}"}, so {@code http://Shop.Test/} hashes as JS's does.
     */
    public String host() {
        return URI.create(url).getHost().toLowerCase(Locale.ROOT);
    }

    private static String checkUrl(String url) {
        if (url == null || url.isBlank()) {
            throw new IllegalArgumentException("a fetch URL must not be blank");
        }
        URI uri;
        try {
            uri = URI.create(url.trim());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("a fetch URL must be an absolute http(s) URL, got \"" + url + "\": " + e.getMessage());
        }
        String scheme = uri.getScheme();
        if (uri.getHost() == null || !("http".equalsIgnoreCase(scheme) || "https".equalsIgnoreCase(scheme))) {
            throw new IllegalArgumentException("a fetch URL must be an absolute http(s) URL, got \"" + url + "\"");
        }
        return url.trim();
    }

    @Override
    public String toString() {
        return method + " " + url;
    }
}
