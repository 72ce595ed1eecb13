package dev.loomstep.encryption.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loomstep.encryption.DecryptionException;
import dev.loomstep.encryption.EncryptionStrategy;
import dev.loomstep.protocol.Json;
import java.io.IOException;
import java.util.Iterator;
import java.util.Map;

/**
 * Turns JSON values into encrypted envelopes and back:
 * {@code {"__ENCRYPTED__": true, "__STRATEGY__": "<strategy id>", "data": "<strategy's string>"}}.
 * The plaintext is the value's compact JSON in UTF-8.
 */
public final class Envelopes {
    static final String MARKER = "__ENCRYPTED__";
    static final String STRATEGY = "__STRATEGY__";
    static final String DATA = "data";

    private final EncryptionStrategy strategy;
    private final String eventField;

    public Envelopes(EncryptionStrategy strategy, String eventField) {
        this.strategy = strategy;
        this.eventField = eventField;
    }

    /** Whether {@code value} is an envelope (of any strategy, or of the JS package's 0.x without {@code __STRATEGY__}). */
    public static boolean isEnvelope(JsonNode value) {
        return value != null && value.isObject() && value.path(MARKER).isBoolean() && value.get(MARKER).booleanValue()
                && value.path(DATA).isTextual();
    }

    public ObjectNode seal(JsonNode value) {
        byte[] plain;
        try {
            plain = Json.mapper().writeValueAsBytes(value);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write a value to encrypt as JSON: " + e.getMessage(), e);
        }
        ObjectNode envelope = Json.nodes().objectNode();
        envelope.put(MARKER, true);
        envelope.put(STRATEGY, strategy.id());
        envelope.put(DATA, strategy.encrypt(plain));
        return envelope;
    }

    /** The value inside an envelope, or {@code value} itself when it is none. */
    public JsonNode open(JsonNode value, String where) {
        if (!isEnvelope(value)) {
            return value;
        }
        JsonNode kind = value.get(STRATEGY);
        if (kind == null || !kind.isTextual()) {
            throw new DecryptionException(where + " was encrypted by @inngest/middleware-encryption 0.x (no " + STRATEGY
                    + "), which this middleware does not read: re-encrypt it with 1.x or later");
        }
        byte[] plain;
        try {
            plain = strategy.decrypt(value.get(DATA).textValue());
        } catch (DecryptionException e) {
            throw new DecryptionException("cannot decrypt " + where + " (" + STRATEGY + " " + kind.textValue() + ", this middleware's "
                    + strategy.id() + "): " + e.getMessage(), e);
        }
        try {
            return Json.mapper().readTree(plain);
        } catch (IOException e) {
            throw new DecryptionException("decrypted " + where + " is not JSON: " + e.getMessage(), e);
        }
    }

    /** A copy of event data whose encrypted field is sealed; {@code data} itself when it has no such field. */
    public ObjectNode sealEventData(ObjectNode data) {
        if (data == null || !data.has(eventField)) {
            return data;
        }
        ObjectNode copy = data.deepCopy();
        copy.set(eventField, seal(data.get(eventField)));
        return copy;
    }

    /** A copy of event data with every top-level envelope opened (as the JS package does); {@code data} itself when none. */
    public ObjectNode openEventData(ObjectNode data, String where) {
        if (data == null) {
            return null;
        }
        ObjectNode copy = null;
        for (Iterator<Map.Entry<String, JsonNode>> it = data.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            if (isEnvelope(field.getValue())) {
                if (copy == null) {
                    copy = data.deepCopy();
                }
                copy.set(field.getKey(), open(field.getValue(), where + " field \"" + field.getKey() + "\""));
            }
        }
        return copy == null ? data : copy;
    }
}
