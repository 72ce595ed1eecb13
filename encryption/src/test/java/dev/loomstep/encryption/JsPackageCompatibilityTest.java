package dev.loomstep.encryption;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loomstep.Event;
import dev.loomstep.middleware.InputContext;
import dev.loomstep.middleware.OutputContext;
import dev.loomstep.middleware.RunHooks;
import dev.loomstep.middleware.StepInfo;
import dev.loomstep.protocol.Json;
import dev.loomstep.testkit.JsPeer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Envelopes made by the real npm package {@code @inngest/middleware-encryption} 2.0.0 (run by Node through
 * {@code testkit/js-peer/encryption-vectors.js}, which calls the middleware's own hooks) read by this
 * module, and the other way round.
 */
class JsPackageCompatibilityTest {
    static final String SCRIPT = "encryption-vectors.js";
    static final String PACKAGE = "@inngest/middleware-encryption";

    /** Values of every JSON shape, with non-ASCII text. */
    static final JsonNode VALUES = parse("""
            [{"card": "4242 4242 4242 4242", "nested": {"list": [1, 2.5, true, null]}}, "Grüße, 世界 🔐", 42, 1.5, [1, "two"],
             true, {}, ""]""");

    static JsonNode js(Map<String, Object> request) {
        return parse(JsPeer.runScript(SCRIPT, PACKAGE, Json.toString(request)));
    }

    static JsonNode parse(String json) {
        try {
            return Json.mapper().readTree(json);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static RunHooks hooks(EncryptionMiddleware mw) {
        return mw.onRun(null);
    }

    static JsonNode sealedByJava(EncryptionMiddleware mw, JsonNode value) {
        var out = new Out(value);
        hooks(mw).transformOutput(out);
        return out.result;
    }

    @Test
    void javaReadsWhatTheJsPackageEncryptsAndTheJsPackageReadsWhatJavaEncrypts() {
        JsonNode fromJs = js(Map.of("key", "k-2026", "seal", VALUES)).get("sealed");
        EncryptionMiddleware java = EncryptionMiddleware.builder().key("k-2026").build();
        for (int i = 0; i < VALUES.size(); i++) {
            JsonNode envelope = fromJs.get(i);
            assertEquals(true, envelope.get("__ENCRYPTED__").asBoolean(), envelope.toString());
            assertEquals("inngest/libsodium", envelope.get("__STRATEGY__").asText());
            assertEquals(VALUES.get(i), hooks(java).transformStepResult("s", envelope), "JS → Java, value " + i);
        }

        ArrayNode fromJava = Json.nodes().arrayNode();
        VALUES.forEach(v -> fromJava.add(sealedByJava(java, v)));
        for (JsonNode envelope : fromJava) {
            assertEquals(List.of("__ENCRYPTED__", "__STRATEGY__", "data"), fieldNames(envelope), "the JS package's field order");
            assertTrue(envelope.get("data").asText().matches("[A-Za-z0-9+/]+={0,2}"), "standard Base64: " + envelope);
        }
        assertEquals(VALUES, js(Map.of("key", "k-2026", "open", fromJava)).get("opened"), "Java → JS");
    }

    @Test
    void eventDataAndInvokePayloadsEncryptOnlyTheEncryptedFieldAndAreReadOnBothSides() {
        JsonNode event = parse("""
                {"name": "shop/paid", "data": {"encrypted": {"card": "4242"}, "orderId": 7}}""");
        JsonNode jsSent = js(Map.of("key", "k", "sendEvents", List.of(event))).get("sentEvents").get(0);
        assertEquals(7, jsSent.get("data").get("orderId").asInt(), "other fields stay plain");
        assertTrue(jsSent.get("data").get("encrypted").has("__ENCRYPTED__"), jsSent.toString());

        EncryptionMiddleware java = EncryptionMiddleware.builder().key("k").build();
        var input = new In(new ArrayList<>(List.of(Json.mapper().convertValue(jsSent, Event.class))));
        hooks(java).transformInput(input);
        assertEquals(event.get("data"), input.events.get(0).data(), "JS-sent event, read by a Java function");

        var toSend = new ArrayList<>(List.of(Json.mapper().convertValue(event, Event.class)));
        java.beforeSendEvents(toSend);
        ObjectNode javaSent = toSend.get(0).data();
        assertEquals(7, javaSent.get("orderId").asInt());
        assertTrue(javaSent.get("encrypted").has("__ENCRYPTED__"), javaSent.toString());
        JsonNode jsRead = js(Map.of("key", "k", "inputEvents", List.of(Json.toTree(toSend.get(0))))).get("inputEvents").get(0);
        assertEquals(event.get("data"), jsRead.get("data"), "Java-sent event, read by a JS function");

        ObjectNode payload = Json.nodes().objectNode().set("data", event.get("data").deepCopy());
        hooks(java).transformInvokePayload(new StepInfo("call", "h", "invoke"), payload);
        assertTrue(payload.get("data").get("encrypted").has("__ENCRYPTED__"), payload.toString());
        JsonNode invoked = js(Map.of("key", "k", "inputEvents", List.of(Map.of("name", "inngest/function.invoked", "data", payload.get("data")))));
        assertEquals(event.get("data"), invoked.get("inputEvents").get(0).get("data"), "a Java invoke payload, read by the JS function invoked");
        JsonNode jsInvokeData = js(Map.of("key", "k", "invokeData", event.get("data"))).get("invokeData");
        var invokedInJava = new In(new ArrayList<>(List.of(new Event("e1", "inngest/function.invoked", (ObjectNode) jsInvokeData, null, 1L, null))));
        hooks(java).transformInput(invokedInJava);
        assertEquals(event.get("data"), invokedInJava.events.get(0).data(), "a JS invoke payload, read by the Java function invoked");
    }

    @Test
    void aFallbackKeyDecryptsDuringRotationOnBothSides() {
        JsonNode oldFromJs = js(Map.of("key", "old", "seal", List.of("secret"))).get("sealed").get(0);
        EncryptionMiddleware rotated = EncryptionMiddleware.builder().key("new").fallbackKeys(List.of("old")).build();
        assertEquals("secret", hooks(rotated).transformStepResult("s", oldFromJs).asText());

        JsonNode newFromJava = sealedByJava(rotated, Json.nodes().textNode("fresh"));
        JsonNode opened = js(Map.of("key", "old", "fallbackKeys", List.of("new"), "open", List.of(newFromJava))).get("opened");
        assertEquals("fresh", opened.get(0).asText(), "a JS service not yet rotated, with the new key as its fallback");
    }

    @Test
    void aWrongKeyIsOneClearErrorOnBothSidesNotAGarbageValue() {
        JsonNode fromJs = js(Map.of("key", "right", "seal", List.of("secret"))).get("sealed").get(0);
        EncryptionMiddleware wrong = EncryptionMiddleware.builder().key("wrong").fallbackKeys(List.of("also-wrong")).build();
        var e = assertThrows(DecryptionException.class, () -> hooks(wrong).transformStepResult("charge", fromJs));
        assertEquals("cannot decrypt the result of step \"charge\" (__STRATEGY__ inngest/libsodium, this middleware's inngest/libsodium):"
                + " none of the 2 encryption key(s) decrypts this value: it was encrypted with another key (add that key to fallbackKeys)"
                + " or changed on the way", e.getMessage());

        JsonNode fromJava = sealedByJava(EncryptionMiddleware.builder().key("right").build(), Json.nodes().textNode("secret"));
        JsonNode opened = js(Map.of("key", "wrong", "open", List.of(fromJava))).get("opened").get(0);
        assertTrue(opened.has("error"), "the JS package refuses it too: " + opened);
    }

    @Test
    void decryptOnlyWritesPlainValuesButStillReadsEncryptedOnes() {
        EncryptionMiddleware readOnly = EncryptionMiddleware.builder().key("k").decryptOnly(true).build();
        JsonNode plain = parse("{\"card\": \"4242\"}");
        assertEquals(plain, sealedByJava(readOnly, plain));
        var events = new ArrayList<>(List.of(Event.of("e", Map.of("encrypted", "x"))));
        readOnly.beforeSendEvents(events);
        assertEquals("x", events.get(0).data().get("encrypted").asText());
        ObjectNode payload = Json.nodes().objectNode().set("data", parse("{\"encrypted\": 1}"));
        hooks(readOnly).transformInvokePayload(new StepInfo("i", "h", "invoke"), payload);
        assertEquals(1, payload.get("data").get("encrypted").asInt());

        JsonNode fromJs = js(Map.of("key", "k", "seal", List.of(plain))).get("sealed").get(0);
        assertEquals(plain, hooks(readOnly).transformStepResult("s", fromJs));
    }

    @Test
    void eachEncryptionUsesAFreshNonce() {
        EncryptionMiddleware java = EncryptionMiddleware.builder().key("k").build();
        JsonNode value = Json.nodes().textNode("same");
        assertNotEquals(sealedByJava(java, value).get("data"), sealedByJava(java, value).get("data"));
    }

    static List<String> fieldNames(JsonNode node) {
        var names = new ArrayList<String>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    /** A step's output as the engine hands it to {@code transformOutput}. */
    static final class Out implements OutputContext {
        JsonNode result;

        Out(JsonNode result) {
            this.result = result;
        }

        @Override public StepInfo step() { return new StepInfo("s", "h", "run"); }
        @Override public JsonNode result() { return result; }
        @Override public void result(JsonNode replacement) { result = replacement; }
        @Override public Throwable error() { return null; }
        @Override public void error(Throwable replacement) { throw new UnsupportedOperationException(); }
    }

    /** A request's input as the engine hands it to {@code transformInput}. */
    record In(List<Event> events) implements InputContext {
        @Override public Map<String, JsonNode> steps() { return Map.of(); }
    }
}
