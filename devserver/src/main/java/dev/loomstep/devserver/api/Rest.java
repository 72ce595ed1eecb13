package dev.loomstep.devserver.api;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loomstep.protocol.Json;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.PathTemplateMatch;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Deque;
import java.util.regex.Pattern;

/** What every resource's routes share: reading parameters and bodies, and the {@code {data}} envelope. */
final class Rest {
    static final int DEFAULT_LIMIT = 100;
    /** Strict: {@code {"name":"a"} xyz} is refused, not read as its first value with the rest dropped. */
    private static final ObjectReader STRICT = Json.mapper().reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private Rest() {}

    /** A query parameter, or null when it is missing or blank. */
    static String param(HttpServerExchange ex, String name) {
        Deque<String> v = ex.getQueryParameters().get(name);
        return v == null || v.isEmpty() || v.peekFirst().isBlank() ? null : v.peekFirst().trim();
    }

    /**
     * A path parameter ({@code /v1/runs/{runId}}), decoded once from the request's own bytes: Undertow
     * keeps {@code %2F} encoded (so an id with a {@code /} still matches its one-segment route) but decodes
     * the rest, so its value of {@code a%2Fb%3Fc} is neither the id nor its encoding.
     */
    static String path(HttpServerExchange ex, String name) {
        PathTemplateMatch match = ex.getAttachment(PathTemplateMatch.ATTACHMENT_KEY);
        if (match != null) {
            String[] template = match.getMatchedTemplate().split("/", -1);
            String raw = ex.getRequestURI();
            int q = raw.indexOf('?');
            String[] segments = (q < 0 ? raw : raw.substring(0, q)).split("/", -1);
            for (int i = 0; i < template.length && template.length == segments.length; i++) {
                if (template[i].equals("{" + name + "}")) {
                    return percentDecode(segments[i]);
                }
            }
        }
        return ex.getQueryParameters().get(name).getFirst();
    }

    /**
     * Routes a request whose path holds an encoded {@code ?} or {@code #} by its path as received: Undertow
     * decodes them before routing, and its templates then match {@code /v1/events/a%2Fb?c/runs} as
     * {@code /v1/events/{eventId}}. The route's parameters are read from the same bytes ({@link #path}).
     */
    static HttpHandler routedAsReceived(HttpHandler next) {
        return ex -> {
            String raw = ex.getRequestURI();
            if (raw.startsWith("/") && ENCODED_DELIMITER.matcher(raw).find()) {
                ex.setRelativePath(raw);
            }
            next.handleRequest(ex);
        };
    }

    private static final Pattern ENCODED_DELIMITER = Pattern.compile("%(3[fF]|23)");

    /** RFC 3986 percent-decoding as UTF-8; a {@code +} stays a plus (it is a space only in forms). */
    static String percentDecode(String segment) {
        try {
            return URLDecoder.decode(segment.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("the path segment \"" + segment + "\" is not percent-encoded correctly: " + e.getMessage());
        }
    }

    static int limit(HttpServerExchange ex) {
        String v = param(ex, "limit");
        if (v == null) {
            return DEFAULT_LIMIT;
        }
        try {
            int n = Integer.parseInt(v);
            if (n < 1 || n > 10_000) {
                throw ApiException.badRequest("limit must be between 1 and 10000, got " + n);
            }
            return n;
        } catch (NumberFormatException e) {
            throw ApiException.badRequest("limit must be a number, got \"" + v + "\"");
        }
    }

    /** A time parameter: an RFC 3339 time ({@code 2026-01-02T03:04:05Z}) or epoch milliseconds; null when absent. */
    static Long time(HttpServerExchange ex, String name) {
        String v = param(ex, name);
        if (v == null) {
            return null;
        }
        if (v.chars().allMatch(Character::isDigit) && v.length() < 19) {
            return Long.parseLong(v);
        }
        try {
            return OffsetDateTime.parse(v).toInstant().toEpochMilli();
        } catch (DateTimeParseException e) {
            try {
                return Instant.parse(v).toEpochMilli();
            } catch (DateTimeParseException again) {
                throw ApiException.badRequest(name + " must be an RFC 3339 time (2026-01-02T03:04:05Z) or epoch milliseconds, got \""
                        + v + "\"");
            }
        }
    }

    static JsonNode parseJson(byte[] body, String what) {
        if (body.length == 0) {
            throw ApiException.badRequest(what + ": the body is empty");
        }
        try {
            JsonNode n = STRICT.readTree(body);
            if (n == null) {
                throw ApiException.badRequest(what + ": the body is empty");
            }
            return n;
        } catch (com.fasterxml.jackson.databind.exc.MismatchedInputException e) {
            if (e.getOriginalMessage() != null && e.getOriginalMessage().startsWith("Trailing token")) {
                var at = e.getLocation();
                throw ApiException.badRequest(what + ": the body is not valid JSON (more content after the JSON value"
                        + (at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr()) + "; send exactly one value)");
            }
            throw ApiException.badRequest(what + ": the body is not valid JSON (" + e.getOriginalMessage() + ")");
        } catch (IOException e) {
            String m = e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
            throw ApiException.badRequest(what + ": the body is not valid JSON (" + m + ")");
        }
    }

    static ObjectNode data(JsonNode node) {
        ObjectNode o = Json.nodes().objectNode();
        o.set("data", node);
        return o;
    }

    /** A page: {@code {data, next_cursor}}; the cursor is null on the last page. */
    static ObjectNode page(JsonNode node, String nextCursor) {
        ObjectNode o = data(node);
        o.put("next_cursor", nextCursor);
        return o;
    }

    /** A cursor is {@code <epoch ms>.<id>} of the last item of the previous page. */
    static String cursor(long at, String id) {
        return at + "." + id;
    }

    /** The two halves of a cursor, or a 400 naming the format. */
    static String[] parseCursor(String cursor) {
        int dot = cursor.indexOf('.');
        // At most 18 digits: every epoch millisecond fits, and Long.parseLong of the half cannot overflow.
        if (dot < 1 || dot > 18 || dot == cursor.length() - 1 || !cursor.substring(0, dot).chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw ApiException.badRequest("cursor must be the next_cursor of a previous page, got \"" + cursor + "\"");
        }
        return new String[] {cursor.substring(0, dot), cursor.substring(dot + 1)};
    }
}
