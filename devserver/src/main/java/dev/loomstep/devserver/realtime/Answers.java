package dev.loomstep.devserver.realtime;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.protocol.Json;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;

/** The realtime API's JSON answers, in the same one-line form as the rest of the devserver's: {@code {"error", "status"}}. */
final class Answers {
    private Answers() {
    }

    static void error(HttpServerExchange ex, int status, String message) {
        json(ex, status, Json.nodes().objectNode().put("error", message.replace('\n', ' ').replace('\r', ' ')).put("status", status));
    }

    static void json(HttpServerExchange ex, int status, JsonNode body) {
        ex.setStatusCode(status);
        ex.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
        ex.getResponseSender().send(Json.toString(body));
    }

    /** A value quoted in an error line, cut short. */
    static String clip(String s) {
        String one = s.replace('\n', ' ').replace('\r', ' ');
        return one.length() > 120 ? one.substring(0, 120) + "…" : one;
    }
}
