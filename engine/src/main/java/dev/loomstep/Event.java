package dev.loomstep;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loomstep.protocol.Json;

/**
 * An Inngest event: {@code {id, name, data, user, ts, v}}. {@code data} is always a JSON object;
 * {@code ts} is milliseconds since the epoch. Missing {@code id} and {@code ts} are filled by the
 * event API.
 *
 * <pre>{@code
 * client.send(Event.of("api/account.created", new AccountCreated("u_1", "ada@example.com")));
 * }</pre>
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record Event(String id, String name, ObjectNode data, JsonNode user, Long ts, String v) {

    public Event {
        if (data == null) {
            data = Json.nodes().objectNode();
        }
    }

    /** An event with the given name and data (a record, a map or a JSON object). */
    public static Event of(String name, Object data) {
        return new Event(null, name, dataObject(data), null, null, null);
    }

    public Event withId(String newId) {
        return new Event(newId, name, data, user, ts, v);
    }

    public Event withTs(long newTs) {
        return new Event(id, name, data, user, newTs, v);
    }

    public Event withUser(Object newUser) {
        return new Event(id, name, data, newUser == null ? null : Json.toTree(newUser), ts, v);
    }

    /** Binds {@code data} to a Java type through Jackson. */
    public <T> T dataAs(Class<T> type) {
        try {
            return Json.mapper().treeToValue(data, type);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException("event \"" + name + "\" data does not fit " + type.getName() + ": " + e.getOriginalMessage(), e);
        }
    }

    static ObjectNode dataObject(Object data) {
        if (data == null) {
            return Json.nodes().objectNode();
        }
        JsonNode tree = Json.toTree(data);
        if (tree instanceof ObjectNode object) {
            return object;
        }
        throw new IllegalArgumentException("event data must serialise to a JSON object, got " + tree.getNodeType() + " from " + data.getClass().getName());
    }
}
