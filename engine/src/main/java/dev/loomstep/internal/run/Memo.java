package dev.loomstep.internal.run;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Event;
import dev.loomstep.protocol.Json;
import dev.loomstep.protocol.WireError;

/**
 * Reads memoized step state in every shape executors send: {@code {"data": x}}, {@code {"error": e}},
 * a bare value, or JSON null. Which shape means what depends on the kind of step consuming it.
 */
final class Memo {
    private Memo() {}

    /** The error of a memoized failed step, or null when the step succeeded. */
    static WireError error(JsonNode memo) {
        if (memo != null && memo.isObject()) {
            JsonNode e = memo.get("error");
            if (e != null && !e.isNull() && !memo.has("data")) {
                return e.isObject() ? Json.mapper().convertValue(e, WireError.class) : WireError.of("Error", e.asText());
            }
        }
        return null;
    }

    /** The result of a run, sendEvent or invoke step: the {@code data} field, or a bare value as is. */
    static JsonNode data(JsonNode memo) {
        if (memo == null) {
            return Json.nodes().nullNode();
        }
        if (memo.isObject() && memo.has("data")) {
            return memo.get("data");
        }
        return memo;
    }

    /**
     * The event a waitForEvent resumed with, or null on timeout. Executors send the whole event
     * ({@code {name, data, id, ts}}), some wrap it as {@code {"data": event}}, and a timeout is
     * {@code null} or {@code {"data": null}}.
     */
    static Event event(JsonNode memo) {
        if (memo == null || memo.isNull()) {
            return null;
        }
        JsonNode node = memo;
        if (!node.has("name") && node.has("data")) {
            node = node.get("data");
            if (node == null || node.isNull()) {
                return null;
            }
        }
        return Json.mapper().convertValue(node, Event.class);
    }

    /**
     * The data a waitForSignal resumed with, or null on timeout. The executor memoizes
     * {@code {"data": {"signal": name, "data": x}}}; JSON null data is returned as a null node.
     */
    static JsonNode signal(JsonNode memo) {
        JsonNode received = data(memo);
        if (received == null || received.isNull()) {
            return null;
        }
        JsonNode d = received.get("data");
        return d == null ? Json.nodes().nullNode() : d;
    }
}
