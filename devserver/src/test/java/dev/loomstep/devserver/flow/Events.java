package dev.loomstep.devserver.flow;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loomstep.protocol.Json;

/** Small event builders for the flow tests. */
final class Events {
    private Events() {}

    static JsonNode json(String text) {
        try {
            return Json.mapper().readTree(text);
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }

    /** {@code {"name": name, "data": {"user_id": userId}}}. */
    static ObjectNode forUser(String name, String userId) {
        ObjectNode event = Json.nodes().objectNode().put("name", name);
        event.putObject("data").put("user_id", userId);
        return event;
    }

    static ObjectNode forUser(String userId) {
        return forUser("app/test", userId);
    }
}
