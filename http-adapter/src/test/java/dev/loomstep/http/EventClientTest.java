package dev.loomstep.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Config;
import dev.loomstep.Event;
import dev.loomstep.Loomstep;
import dev.loomstep.protocol.Json;
import dev.loomstep.undertow.LoomstepServer;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The event client against a small event API on loopback: batches, ids, headers, retries. */
class EventClientTest {
    static final RecordingServer.Answer OK_2 = new RecordingServer.Answer(200, "{\"ids\":[\"01ID-A\",\"01ID-B\"],\"status\":200}");
    static final Instant NOW = Instant.parse("2026-01-02T03:04:05Z");

    final List<AutoCloseable> open = new ArrayList<>();

    RecordingServer api(RecordingServer.Answer... answers) {
        var server = RecordingServer.replying(answers);
        open.add(server);
        return server;
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
    }

    EventClient client(RecordingServer api) {
        return EventClient.builder().eventApiOrigin(api.origin() + "/").eventKey("key with/slash").env("feature-x")
                .backoff(Duration.ofMillis(1), Duration.ofMillis(5)).clock(Clock.fixed(NOW, ZoneOffset.UTC)).build();
    }

    static JsonNode json(RecordingServer.Recorded r) {
        try {
            return Json.mapper().readTree(r.body());
        } catch (IOException e) {
            throw new AssertionError(r.text(), e);
        }
    }

    @Test
    void sendsABatchInOneRequestAndReturnsTheIdsInOrder() {
        var api = api(OK_2);
        var ids = client(api).send(Event.of("shop/order.placed", Map.of("order", 1)),
                Event.of("shop/order.placed", Map.of("order", 2)).withId("my-id").withTs(42));

        assertEquals(List.of("01ID-A", "01ID-B"), ids);
        var req = api.requests().get(0);
        assertEquals("POST", req.method());
        assertEquals("/e/key%20with%2Fslash", req.pathAndQuery(), "the key is one path segment");
        JsonNode body = json(req);
        assertTrue(body.isArray());
        assertEquals(2, body.size());
        assertEquals("shop/order.placed", body.get(0).get("name").asText());
        assertEquals(1, body.get(0).get("data").get("order").asInt());
        assertEquals(NOW.toEpochMilli(), body.get(0).get("ts").asLong(), "a missing ts is stamped now, as the JS SDK does");
        assertFalse(body.get(0).has("id"), "a missing id is left to the event API");
        assertEquals("my-id", body.get(1).get("id").asText());
        assertEquals(42, body.get(1).get("ts").asLong(), "a given ts is kept");
    }

    @Test
    void sendsTheHeadersMiddlewareAddedButNeverInPlaceOfItsOwn() {
        var api = api(new RecordingServer.Answer(200, "{\"ids\":[\"x\"],\"status\":200}"));
        client(api).send(List.of(Event.of("a/b", Map.of())), Map.of("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                "X-Inngest-Env", "not-mine"));
        var req = api.requests().get(0);
        assertEquals("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", req.header("traceparent"));
        assertEquals("feature-x", req.header("X-Inngest-Env"), "the client's own header stays");
    }

    @Test
    void sendsTheSdkAndEnvironmentHeaders() {
        var api = api(new RecordingServer.Answer(200, "{\"ids\":[\"x\"],\"status\":200}"));
        client(api).send(Event.of("a/b", Map.of()));
        var req = api.requests().get(0);
        assertEquals("loomstep:v0.1.0", req.header("X-Inngest-Sdk"));
        assertEquals("feature-x", req.header("X-Inngest-Env"));
        assertTrue(req.header("Content-Type").startsWith("application/json"));
        assertNotNull(req.header(EventClient.EVENT_ID_SEED));
    }

    @Test
    void retriesA5xxWithTheSameIdSeedThenSucceeds() {
        var api = api(new RecordingServer.Answer(500, "{\"error\":\"overloaded\"}"), new RecordingServer.Answer(503, ""), OK_2);
        var ids = client(api).send(Event.of("a/b", Map.of()), Event.of("a/c", Map.of()));
        assertEquals(List.of("01ID-A", "01ID-B"), ids);
        var requests = api.requests();
        assertEquals(3, requests.size());
        assertEquals(1, requests.stream().map(r -> r.header(EventClient.EVENT_ID_SEED)).distinct().count(),
                "every attempt carries the same seed, so the API derives the same ids");
        assertEquals(requests.get(0).text(), requests.get(2).text(), "the same body every time");
    }

    @Test
    void doesNotRetryA4xxAndSaysWhatTheApiSaid() {
        var api = api(new RecordingServer.Answer(400, "{\"error\":\"event name is required\"}"), OK_2);
        var e = assertThrows(EventSendException.class, () -> client(api).send(Event.of("a/b", Map.of())));
        assertEquals(1, api.requests().size());
        assertEquals(400, e.status());
        assertTrue(e.getMessage().contains("400") && e.getMessage().contains("event name is required"), e.getMessage());
        assertFalse(e.getMessage().contains("key with"), "the event key is a secret: " + e.getMessage());
    }

    @Test
    void givesUpAfterTheLastAttemptOn5xx() {
        var api = api(new RecordingServer.Answer(502, "bad gateway"));
        var client = EventClient.builder().eventApiOrigin(api.origin()).eventKey("k").maxAttempts(3)
                .backoff(Duration.ZERO, Duration.ZERO).build();
        var e = assertThrows(EventSendException.class, () -> client.send(Event.of("a/b", Map.of())));
        assertEquals(3, api.requests().size());
        assertEquals(502, e.status());
        assertTrue(e.getMessage().contains("after 3 attempt(s)") && e.getMessage().contains("bad gateway"), e.getMessage());
    }

    @Test
    void retriesConnectionFailuresThenSaysTheApiDidNotAnswer() {
        var client = EventClient.builder().eventApiOrigin("http://127.0.0.1:1").eventKey("k").maxAttempts(2)
                .backoff(Duration.ZERO, Duration.ZERO).build();
        var e = assertThrows(EventSendException.class, () -> client.send(Event.of("a/b", Map.of())));
        assertEquals(-1, e.status());
        assertTrue(e.getMessage().contains("did not answer") && e.getMessage().contains("after 2 attempt(s)"), e.getMessage());
    }

    @Test
    void aSuccessStatusWithAnErrorInsideIsAFailure() {
        var api = api(new RecordingServer.Answer(200, "{\"ids\":[],\"status\":400,\"error\":\"bad payload\"}"));
        var e = assertThrows(EventSendException.class, () -> client(api).send(Event.of("a/b", Map.of())));
        assertTrue(e.getMessage().contains("bad payload"), e.getMessage());
        assertEquals(1, api.requests().size());
    }

    @Test
    void sendingNothingSendsNoRequest() {
        var api = api(OK_2);
        assertEquals(List.of(), client(api).send(List.of()));
        assertTrue(api.requests().isEmpty());
    }

    @Test
    void cloudModeWithoutAnEventKeyFailsClearlyBeforeAnyRequest() {
        var client = EventClient.of(Config.from(Map.of("INNGEST_EVENT_API_BASE_URL", "http://127.0.0.1:1")));
        var e = assertThrows(EventSendException.class, () -> client.send(Event.of("a/b", Map.of())));
        assertTrue(e.getMessage().contains("INNGEST_EVENT_KEY"), e.getMessage());
    }

    @Test
    void everyAppFindsTheClientThroughTheServiceLoaderAndSendsWithIt() {
        var api = api(new RecordingServer.Answer(200, "{\"ids\":[\"01SENT\"],\"status\":200}"));
        var app = Loomstep.builder("shop").config(Config.from(Map.of("INNGEST_DEV", api.origin()))).build();
        assertInstanceOf(EventClient.class, app.eventSender());

        assertEquals(List.of("01SENT"), app.send(Event.of("shop/cart.abandoned", Map.of("cart", 7))));

        var req = api.requests().get(0);
        assertEquals("/e/dev", req.pathAndQuery(), "dev mode sends with the placeholder key");
        assertEquals("shop/cart.abandoned", json(req).get(0).get("name").asText());
    }

    @Test
    void stepSendEventSendsThroughTheClientDuringACallServedOverHttp() throws Exception {
        var api = api(new RecordingServer.Answer(200, "{\"ids\":[\"01FROMSTEP\"],\"status\":200}"));
        var notify = dev.loomstep.Function.builder("notify").trigger(dev.loomstep.Trigger.event("demo/hello"))
                .handler((input, step) -> step.sendEvent("tell", Event.of("demo/told", Map.of("user", "ada"))));
        var app = Loomstep.builder("peer").config(Config.from(Map.of("INNGEST_DEV", api.origin()))).functions(notify).build();
        try (var server = LoomstepServer.builder(app).host("127.0.0.1").port(0).start()) {
            var reply = TestHttp.send("POST", server.url() + "?fnId=peer-notify&stepId=step", Map.of(),
                    TestHttp.resource("calls/discover.json"));
            assertEquals(206, reply.status(), reply.body());
            assertEquals("01FROMSTEP", reply.json().get(0).get("data").get("ids").get(0).asText(), reply.body());
        }
        assertEquals("demo/told", json(api.requests().get(0)).get(0).get("name").asText());
    }
}
