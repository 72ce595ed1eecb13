package dev.loomstep.fetch;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.loomstep.protocol.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The response the executor recorded for a {@link dev.loomstep.Step#fetch(FetchRequest)} step. Any
 * status is a response (a 404 or 500 is not an error: check {@link #ok()}); only a request that got no
 * answer at all fails the step.
 *
 * @param url        the URL that was requested
 * @param statusCode the HTTP status
 * @param headers    response headers as the executor recorded them (values of a repeated header joined with {@code ,})
 * @param body       the body as text
 */
public record FetchResponse(String url, int statusCode, Map<String, String> headers, String body) {

    public FetchResponse {
        headers = headers == null ? Map.of() : Map.copyOf(headers);
        body = body == null ? "" : body;
    }

    /** Whether the status is 2xx. */
    public boolean ok() {
        return statusCode >= 200 && statusCode < 300;
    }

    /** A header by name, case-insensitively. */
    public Optional<String> header(String name) {
        String wanted = name.toLowerCase(Locale.ROOT);
        return headers.entrySet().stream().filter(e -> e.getKey().toLowerCase(Locale.ROOT).equals(wanted))
                .map(Map.Entry::getValue).findFirst();
    }

    /** The body read as JSON into {@code type}. */
    public <T> T json(Class<T> type) {
        return json(Json.mapper(), type);
    }

    /** The body read as JSON into a generic type ({@code new TypeReference<List<Order>>() {}}). */
    public <T> T json(TypeReference<T> type) {
        try {
            return Json.mapper().readValue(body, type);
        } catch (IOException e) {
            throw unreadable(type.getType().getTypeName(), e);
        }
    }

    /** The body read as JSON into {@code type} with the app's own mapper. */
    public <T> T json(ObjectMapper mapper, Class<T> type) {
        try {
            return mapper.readValue(body, type);
        } catch (IOException e) {
            throw unreadable(type.getName(), e);
        }
    }

    private UncheckedIOException unreadable(String type, IOException e) {
        String start = body.length() > 80 ? body.substring(0, 80) + "…" : body;
        return new UncheckedIOException("the body of " + url + " (HTTP " + statusCode + ") is not " + type + " as JSON: "
                + (e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()) + " (body starts: " + start + ")", e);
    }
}
