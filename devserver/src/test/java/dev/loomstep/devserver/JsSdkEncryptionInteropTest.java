package dev.loomstep.devserver;

import static dev.loomstep.devserver.EncryptionEndToEndTest.decrypt;
import static dev.loomstep.devserver.EncryptionEndToEndTest.isEnvelope;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Function;
import dev.loomstep.Invoke;
import dev.loomstep.Trigger;
import dev.loomstep.encryption.EncryptionMiddleware;
import dev.loomstep.protocol.Json;
import dev.loomstep.testkit.JsPeer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * A Loomstep app with {@link EncryptionMiddleware} and the official JS SDK 4.24 with the npm
 * {@code @inngest/middleware-encryption} 2.0.0 (the JS peer's {@code e2e} app, {@code PEER_ENCRYPTION_KEY}
 * set) on one devserver, sharing one key: a Loomstep function invokes a JS one with an encrypted payload and
 * reads its encrypted result, and the other way round; a JS function sends an event with an encrypted field that a Loomstep function
 * reads. Fails (does not skip) under {@code -Dloomstep.requirePeer=true} when Node or the peer is missing.
 */
@Timeout(90)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class JsSdkEncryptionInteropTest {
    static final String KEY = "shared-between-java-and-js";
    static final String CARD = "5555 4444 3333 1111";

    JsPeerDevServer js;
    LoomstepDevServer loomstep;
    Api api;

    @BeforeAll
    void start() throws Exception {
        JsPeer.assumePackage("@inngest/middleware-encryption");
        js = JsPeerDevServer.start(null, Map.of("PEER_ENCRYPTION_KEY", KEY), false, b -> b);
        var encryption = EncryptionMiddleware.builder().key(KEY).build();
        var toJs = Function.builder("to-js").trigger(Trigger.event("ls/to-js")).middleware(encryption).handler((in, step) ->
                step.invoke("card", JsonNode.class, Invoke.function("e2e", "enc-card")
                        .data(Map.of("encrypted", Map.of("card", CARD), "orderId", 5))));
        var told = Function.builder("told").trigger(Trigger.event("ls/enc-told")).middleware(encryption).handler((in, step) ->
                in.data().path("encrypted").path("secret").asText() + " n=" + in.data().path("n").asInt());
        var echoCard = Function.builder("echo-card").trigger(Trigger.event("ls/echo-card")).middleware(encryption).handler((in, step) -> {
            String card = in.data().path("encrypted").path("card").asText();
            return step.run("last4", String.class, () -> "java saw " + card.substring(card.length() - 4)) + " of order "
                    + in.data().path("orderId").asInt();
        });
        try {
            loomstep = LoomstepDevServer.builder("ls").startOn(js.dev, List.of(toJs, told, echoCard));
        } catch (RuntimeException | Error e) {
            js.close();
            throw e;
        }
        api = js.api;
    }

    @AfterAll
    void stop() {
        if (loomstep != null) {
            loomstep.server.close();
        }
        if (js != null) {
            js.close();
        }
    }

    @Test
    void aLoomstepFunctionInvokesAJsFunctionWithAnEncryptedPayloadAndReadsItsEncryptedResult() {
        JsonNode run = api.awaitStatus(api.runOf(api.send("ls/to-js", Map.of())), "Completed");

        assertTrue(isEnvelope(run.get("output")), run.toString());
        assertEquals(Json.toTree(Map.of("last4", "1111", "plain", 5)), decrypt(KEY, run.get("output")),
                "the JS function decrypted the payload, and Loomstep its result");
        JsonNode jsRun = Api.await(() -> api.get("/v1/runs?function=e2e-enc-card&status=Completed").get("data"), d -> d.size() == 1,
                "the JS function's run").get(0);
        assertTrue(isEnvelope(jsRun.get("output")), "the JS result is stored encrypted: " + jsRun);
        JsonNode jsSteps = api.run(jsRun.get("run_id").asText()).get("steps");
        assertTrue(isEnvelope(jsSteps.get(0).get("output")), "the JS step output is stored encrypted: " + jsSteps);
        assertEquals("1111", decrypt(KEY, jsSteps.get(0).get("output")).asText(), "JS encrypts as Loomstep reads");
        JsonNode payload = api.get("/v1/events/" + jsRun.get("event_id").asText()).get("data").get("data");
        assertTrue(isEnvelope(payload.get("encrypted")), "Loomstep sent the invoke payload encrypted: " + payload);
    }

    @Test
    void aJsFunctionInvokesALoomstepFunctionWithAnEncryptedPayloadAndReadsItsEncryptedResult() {
        JsonNode run = api.awaitStatus(api.runOf(api.send("e2e/enc-invoke", Map.of("card", CARD))), "Completed");

        assertTrue(isEnvelope(run.get("output")), "the JS result is stored encrypted: " + run);
        assertEquals(Json.toTree(Map.of("fromJava", "java saw 1111 of order 3")), decrypt(KEY, run.get("output")),
                "Loomstep decrypted the JS payload, and JS the Loomstep result");
        JsonNode javaRun = Api.await(() -> api.get("/v1/runs?function=ls-echo-card&status=Completed").get("data"), d -> d.size() == 1,
                "the Loomstep function's run").get(0);
        assertTrue(isEnvelope(javaRun.get("output")), javaRun.toString());
        JsonNode payload = api.get("/v1/events/" + javaRun.get("event_id").asText()).get("data").get("data");
        assertTrue(isEnvelope(payload.get("encrypted")), "the JS SDK sent the invoke payload encrypted: " + payload);
        assertEquals(3, payload.get("orderId").asInt());
    }

    @Test
    void aLoomstepFunctionReadsTheEncryptedFieldOfAnEventAJsFunctionSent() {
        api.awaitStatus(api.runOf(api.send("e2e/enc-send", Map.of("secret", "open sesame"))), "Completed");

        JsonNode told = Api.await(() -> api.get("/v1/runs?function=ls-told&status=Completed").get("data"), d -> d.size() == 1,
                "the Loomstep function's run").get(0);
        assertEquals("open sesame n=1", decrypt(KEY, told.get("output")).asText(), told.toString());
        JsonNode sent = api.get("/v1/events/" + told.get("event_id").asText()).get("data").get("data");
        assertTrue(isEnvelope(sent.get("encrypted")), "the JS SDK sent data.encrypted encrypted: " + sent);
        assertEquals(1, sent.get("n").asInt());
    }
}
