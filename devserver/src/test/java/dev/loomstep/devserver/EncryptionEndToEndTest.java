package dev.loomstep.devserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Checkpointing;
import dev.loomstep.Event;
import dev.loomstep.Function;
import dev.loomstep.Invoke;
import dev.loomstep.Trigger;
import dev.loomstep.WaitForEvent;
import dev.loomstep.encryption.EncryptionMiddleware;
import dev.loomstep.middleware.Middleware;
import dev.loomstep.middleware.RunContext;
import dev.loomstep.middleware.RunHooks;
import dev.loomstep.protocol.Json;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * Loomstep functions with loomstep-encryption's {@link EncryptionMiddleware}, run by the devserver over
 * real HTTP: what the devserver stores and shows (events, step outputs, results, invoke payloads) is
 * encrypted, while the functions read plaintext; keys rotate with a fallback key; decrypt-only mode; a
 * wrong key fails the run with one clear error. With checkpointing on (steps run in place and go on with
 * their result) and off (every step result is replayed from the executor's memo).
 */
class EncryptionEndToEndTest {
    static final String KEY = "e2e-key-2026";
    static final String CARD = "4242 4242 4242 4242";

    @Nested
    class WithCheckpointing extends Scenarios {
        WithCheckpointing() {
            super(Checkpointing.defaults());
        }
    }

    @Nested
    class WithoutCheckpointing extends Scenarios {
        WithoutCheckpointing() {
            super(Checkpointing.off());
        }
    }

    /** A middleware whose keys a test changes while a run waits, as a deploy would. */
    static final class Redeployable implements Middleware {
        final AtomicReference<Middleware> current;

        Redeployable(Middleware first) {
            current = new AtomicReference<>(first);
        }

        @Override
        public RunHooks onRun(RunContext run) {
            return current.get().onRun(run);
        }

        @Override
        public void beforeSendEvents(List<Event> events) {
            current.get().beforeSendEvents(events);
        }
    }

    static boolean isEnvelope(JsonNode v) {
        return v != null && v.path("__ENCRYPTED__").asBoolean() && v.path("__STRATEGY__").asText().equals("inngest/libsodium")
                && v.path("data").isTextual();
    }

    /** What {@code key} reads in an envelope the devserver shows. */
    static JsonNode decrypt(String key, JsonNode envelope) {
        return EncryptionMiddleware.builder().key(key).build().onRun(null).transformStepResult("shown", envelope);
    }

    @Timeout(60)
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    abstract static class Scenarios {
        private final Checkpointing checkpointing;
        LoomstepDevServer fixture;
        Api api;
        final Redeployable rotating = new Redeployable(EncryptionMiddleware.builder().key("old").build());
        final Redeployable wrongKey = new Redeployable(EncryptionMiddleware.builder().key("old").build());
        final Redeployable readOnly = new Redeployable(EncryptionMiddleware.builder().key("old").build());

        Scenarios(Checkpointing checkpointing) {
            this.checkpointing = checkpointing;
        }

        @BeforeAll
        void start() {
            var encryption = EncryptionMiddleware.builder().key(KEY).build();
            var card = Function.builder("card").trigger(Trigger.event("enc/card")).middleware(encryption).handler((in, step) -> {
                String number = in.data().path("encrypted").path("card").asText();
                String last4 = step.run("last4", String.class, () -> number.substring(number.length() - 4));
                int digits = step.run("digits", Integer.class, () -> (int) number.chars().filter(Character::isDigit).count());
                return Map.of("last4", last4, "digits", digits, "orderId", in.data().path("orderId").asInt());
            });
            var child = Function.builder("child").trigger(Trigger.event("enc/child")).middleware(encryption)
                    .handler((in, step) -> "child saw " + in.data().path("encrypted").path("card").asText());
            var parent = Function.builder("parent").trigger(Trigger.event("enc/parent")).middleware(encryption)
                    .handler((in, step) -> step.invoke("call-child", String.class,
                            Invoke.function(child).data(Map.of("encrypted", Map.of("card", CARD), "orderId", 9))));
            var sender = Function.builder("sender").trigger(Trigger.event("enc/sender")).middleware(encryption)
                    .handler((in, step) -> step.sendEvent("tell", Event.of("enc/told", Map.of("encrypted", Map.of("card", CARD)))));
            fixture = LoomstepDevServer.builder("ls").app(b -> b.checkpointing(checkpointing))
                    .start(card, child, parent, sender, waiting("rotating", rotating), waiting("wrong-key", wrongKey),
                            waiting("read-only", readOnly));
            api = fixture.api;
        }

        /** Step a, a wait for {@code enc/go} (same data.id) while the test redeploys the middleware, then step b. */
        static Function<JsonNode, Object> waiting(String id, Middleware middleware) {
            return Function.builder(id).trigger(Trigger.event("enc/" + id)).retries(0).middleware(middleware).handler((in, step) -> {
                String a = step.run("a", String.class, () -> "written before the deploy");
                step.waitForEvent("deploy", WaitForEvent.of("enc/go").match("data.id").timeout(Duration.ofMinutes(1)));
                String again = step.run("a-again", String.class, () -> a);
                return Map.of("a", again, "b", step.run("b", String.class, () -> "written after"));
            });
        }

        @AfterAll
        void stop() {
            if (fixture != null) {
                fixture.close();
            }
        }

        String sendEncrypted(String name, Map<String, Object> data) {
            var events = new ArrayList<>(List.of(Event.of(name, data)));
            EncryptionMiddleware.builder().key(KEY).build().beforeSendEvents(events);
            return api.send(Json.toTree(events.get(0)));
        }

        @Test
        void theDevserverStoresOnlyEnvelopesWhileTheFunctionReadsPlaintext() {
            String eventId = sendEncrypted("enc/card", Map.of("encrypted", Map.of("card", CARD), "orderId", 7));
            String runId = api.runOf(eventId);
            JsonNode run = api.awaitStatus(runId, "Completed");

            JsonNode stored = api.get("/v1/events/" + eventId).get("data").get("data");
            assertTrue(isEnvelope(stored.get("encrypted")), "the event's data.encrypted is stored encrypted: " + stored);
            assertEquals(7, stored.get("orderId").asInt(), "other fields stay plain");
            assertTrue(isEnvelope(run.get("output")), "the result is stored encrypted: " + run);
            assertEquals(Json.toTree(Map.of("last4", "4242", "digits", 16, "orderId", 7)), decrypt(KEY, run.get("output")),
                    "the function read the card and its own step results in plaintext");
            assertEquals(List.of("last4", "digits"), run.get("steps").findValuesAsText("name"));
            for (JsonNode step : run.get("steps")) {
                assertTrue(isEnvelope(step.get("output")), "step output stored encrypted: " + step);
            }
            assertEquals("4242", decrypt(KEY, run.get("steps").get(0).get("output")).asText());
            String shown = api.request("GET", "/v1/runs/" + runId, null).text() + api.request("GET", "/v1/events/" + eventId, null).text();
            assertFalse(shown.contains("4242"), "no plaintext card digits anywhere the devserver shows: " + shown);
        }

        @Test
        void anInvokePayloadTravelsEncryptedAndTheChildReadsIt() {
            JsonNode run = api.awaitStatus(api.runOf(api.send("enc/parent", Map.of())), "Completed");

            assertEquals("child saw " + CARD, decrypt(KEY, run.get("output")).asText(), run.toString());
            JsonNode childRun = Api.await(() -> api.get("/v1/runs?function=ls-child&status=Completed").get("data"), d -> d.size() == 1,
                    "the child's run").get(0);
            JsonNode invokeData = api.get("/v1/events/" + childRun.get("event_id").asText()).get("data").get("data");
            assertTrue(isEnvelope(invokeData.get("encrypted")), "the invoke payload's data.encrypted is stored encrypted: " + invokeData);
            assertEquals(9, invokeData.get("orderId").asInt());
            assertTrue(isEnvelope(childRun.get("output")), childRun.toString());
        }

        @Test
        void eventsSentFromAStepCarryTheirEncryptedFieldEncrypted() {
            JsonNode run = api.awaitStatus(api.runOf(api.send("enc/sender", Map.of())), "Completed");

            String sentId = decrypt(KEY, run.get("output")).get(0).asText();
            JsonNode sent = api.get("/v1/events/" + sentId).get("data");
            assertEquals("enc/told", sent.get("name").asText());
            assertTrue(isEnvelope(sent.get("data").get("encrypted")), sent.toString());
            assertEquals(Json.toTree(Map.of("card", CARD)), decrypt(KEY, sent.get("data").get("encrypted")));
        }

        @Test
        void anEventEncryptedWithAnotherKeyFailsTheRunWithOneClearError() {
            var events = new ArrayList<>(List.of(Event.of("enc/card", Map.of("encrypted", Map.of("card", CARD), "orderId", 8))));
            EncryptionMiddleware.builder().key("someone-elses-key").build().beforeSendEvents(events);
            JsonNode run = api.finished(api.runOf(api.send(Json.toTree(events.get(0)))));

            assertEquals("Failed", run.get("status").asText(), run.toString());
            assertTrue(run.get("error").get("message").asText().contains("cannot decrypt the data of event \"enc/card\" field \"encrypted\""),
                    run.toString());
            assertEquals(0, run.get("steps").size(), "no step ran on a garbage value: " + run);
        }

        /** Starts a {@link #waiting} function, waits for it to wait, deploys {@code next}, lets it go on. */
        JsonNode redeployMidRun(String id, Redeployable middleware, EncryptionMiddleware next, String status) {
            String runId = api.runOf(api.send("enc/" + id, Map.of("id", id)));
            JsonNode waitingRun = Api.await(() -> api.run(runId), r -> r.get("steps").size() == 2, "the run to wait for the deploy");
            assertTrue(isEnvelope(waitingRun.get("steps").get(0).get("output")), waitingRun.toString());
            middleware.current.set(next);
            api.send("enc/go", Map.of("id", id));
            return api.awaitStatus(runId, status);
        }

        @Test
        void aRunGoesOnAfterAKeyRotationWithTheOldKeyAsFallback() {
            JsonNode run = redeployMidRun("rotating", rotating, EncryptionMiddleware.builder().key("new").fallbackKeys(List.of("old")).build(),
                    "Completed");

            assertEquals(Json.toTree(Map.of("a", "written before the deploy", "b", "written after")), decrypt("new", run.get("output")));
            assertEquals("written before the deploy", decrypt("old", run.get("steps").get(0).get("output")).asText(), "a: old key");
            assertEquals("written after", decrypt("new", run.get("steps").get(3).get("output")).asText(), "b: new key");
        }

        @Test
        void aWrongKeyFailsTheRunWithOneClearErrorInsteadOfAGarbageValue() {
            JsonNode run = redeployMidRun("wrong-key", wrongKey, EncryptionMiddleware.builder().key("not-the-old-one").build(), "Failed");

            assertEquals("DecryptionException", run.get("error").get("name").asText(), run.toString());
            assertEquals("cannot decrypt the result of step \"a\" (__STRATEGY__ inngest/libsodium, this middleware's inngest/libsodium):"
                    + " none of the 1 encryption key(s) decrypts this value: it was encrypted with another key (add that key to"
                    + " fallbackKeys) or changed on the way", run.get("error").get("message").asText());
        }

        @Test
        void decryptOnlyReadsEncryptedResultsAndWritesPlainOnes() {
            JsonNode run = redeployMidRun("read-only", readOnly, EncryptionMiddleware.builder().key("old").decryptOnly(true).build(),
                    "Completed");

            assertEquals(Json.toTree(Map.of("a", "written before the deploy", "b", "written after")), run.get("output"), run.toString());
            assertTrue(isEnvelope(run.get("steps").get(0).get("output")), "a, written before, stays encrypted");
            assertEquals("written after", run.get("steps").get(3).get("output").asText());
        }
    }
}
