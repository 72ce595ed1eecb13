package dev.loomstep.devserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loomstep.Function;
import dev.loomstep.Trigger;
import dev.loomstep.http.realtime.RealtimeSubscription;
import dev.loomstep.protocol.Json;
import dev.loomstep.realtime.RealtimeMessage;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * Realtime on the devserver with a real Loomstep app over loopback: a function publishes from a step
 * ({@code step.publish}) and the app publishes from outside a run ({@code app.publish}); subscribers
 * connect with tokens from {@code app.subscriptionToken} over WebSocket ({@link RealtimeSubscription})
 * and SSE, and see exactly the channel and topics their token names.
 */
@Timeout(60)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RealtimeEndToEndTest {
    static final Duration WAIT = Duration.ofSeconds(10);
    record Status(String state, int step) {}

    final AtomicInteger packAttempts = new AtomicInteger();
    LoomstepDevServer fixture;
    Api api;
    HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    void start() {
        var packing = Function.builder("packing").trigger(Trigger.event("ls/pack")).handler((in, step) -> {
            String channel = "orders/" + in.event().data().path("order").asText();
            step.publish("announce", channel, "status", new Status("packing", 1));
            // Fails once, so the run replays past the publish: it must not publish again.
            step.run("pack", String.class, () -> {
                if (packAttempts.incrementAndGet() == 1) {
                    throw new IllegalStateException("the box is not ready yet");
                }
                return "packed";
            });
            step.publish("done", channel, "status", new Status("packed", 2));
            return "ok";
        });
        var clientInRun = Function.builder("client-in-run").trigger(Trigger.event("ls/client-in-run")).handler((in, step) ->
                step.run("notify", String.class, () -> {
                    fixture.app.publish("notes", "n", Map.of("from", "a step body"));
                    return "sent";
                }));
        fixture = LoomstepDevServer.builder("rt").start(packing, clientInRun);
        api = fixture.api;
    }

    @AfterAll
    void stop() {
        if (fixture != null) {
            fixture.close();
        }
    }

    @Test
    void aStepPublishesOnceAndAJavaSubscriberReceivesItWithTheRunId() {
        try (var sub = RealtimeSubscription.subscribe(fixture.app, "orders/7", List.of("status"))) {
            String runId = api.runOf(api.send("ls/pack", Map.of("order", "7")));
            RealtimeMessage first = sub.poll(WAIT).orElseThrow(() -> new AssertionError("no first message"));
            RealtimeMessage second = sub.poll(WAIT).orElseThrow(() -> new AssertionError("no second message"));
            api.awaitStatus(runId, "Completed");
            assertEquals(RealtimeMessage.Kind.DATA, first.kind());
            assertEquals("orders/7", first.channel());
            assertEquals("status", first.topic());
            assertEquals(new Status("packing", 1), first.dataAs(Status.class));
            assertEquals(runId, first.runId());
            assertTrue(first.createdAt() != null);
            assertEquals(new Status("packed", 2), second.dataAs(Status.class));
            assertTrue(packAttempts.get() >= 2, "the run replayed past the publish");
            assertTrue(sub.poll(Duration.ofMillis(300)).isEmpty(), "a replay published again");
            // The run's page sees both too (history kept per run).
            assertEquals(2, fixture.dev.realtime().history(runId).size());
        }
    }

    @Test
    void theClientPublishesFromOutsideARunAndATokenSeesOnlyItsChannelAndTopics() {
        try (var sub = RealtimeSubscription.subscribe(fixture.app, "chat/a", List.of("messages"))) {
            fixture.app.publish("chat/b", "messages", Map.of("text", "other channel"));
            fixture.app.publish("chat/a", "typing", Map.of("text", "other topic"));
            fixture.app.publish("chat/a", "messages", Map.of("text", "hello"));
            RealtimeMessage m = sub.poll(WAIT).orElseThrow(() -> new AssertionError("no message"));
            assertEquals("hello", m.data().path("text").asText(), m::toString);
            assertNull(m.runId(), "published outside a run");
            assertTrue(sub.poll(Duration.ofMillis(300)).isEmpty());
        }
    }

    @Test
    void theClientsPublishFromAStepBodyNamesTheRunAsJsDoes() {
        try (var sub = RealtimeSubscription.subscribe(fixture.app, "notes", List.of("n"))) {
            String runId = api.runOf(api.send("ls/client-in-run", Map.of()));
            RealtimeMessage m = sub.poll(WAIT).orElseThrow(() -> new AssertionError("nothing published"));
            assertEquals("a step body", m.data().path("from").asText());
            assertEquals(runId, m.runId());
        }
    }

    @Test
    void aTokenAlteredToNameAnotherChannelIsRefusedWithOneClearError() {
        String token = fixture.app.subscriptionToken("chat/a", List.of("messages"));
        String[] parts = token.split("\\.");
        ObjectNode claims = (ObjectNode) read(Base64.getUrlDecoder().decode(parts[1]));
        ((ObjectNode) claims.path("topics").get(0)).put("channel", "chat/secret");
        String forged = parts[0] + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(Json.toBytes(claims)) + "." + parts[2];
        var e = assertThrows(IllegalStateException.class, () -> RealtimeSubscription.connect(URI.create(api.base()), forged));
        assertTrue(e.getMessage().contains("refused the subscription with 401"), e.getMessage());
        var sse = api.request("GET", "/v1/realtime/sse?token=" + forged, null);
        assertEquals(401, sse.status());
        assertEquals("invalid realtime token: its signature does not match (it was altered, or issued by another server)",
                sse.json().path("error").asText());
        assertEquals(401, api.request("GET", "/v1/realtime/sse", null).status());
    }

    @Test
    void anSseSubscriberReceivesEachMessageAsADataLine() throws Exception {
        String token = fixture.app.subscriptionToken("feed", List.of("news"));
        try (var sse = new SseLines(api.base() + "/v1/realtime/sse?token=" + token)) {
            assertEquals(200, sse.status);
            assertEquals("text/event-stream", sse.contentType);
            awaitSubscribers(1);
            publishRaw("feed", "news", "application/json", "{\"headline\":\"realtime\"}");
            publishRaw("feed", "news", "text/plain", "not json");
            RealtimeMessage json = sse.next(WAIT);
            assertEquals("realtime", json.data().path("headline").asText());
            RealtimeMessage text = sse.next(WAIT);
            assertEquals("not json", text.data().asText(), "a body that is not JSON is published as a JSON string");
        }
    }

    @Test
    void aStreamedPublishArrivesAsStartChunksAndEnd() {
        String body = "x".repeat(2500);
        try (var sub = RealtimeSubscription.subscribe(fixture.app, "tokens", List.of("llm"))) {
            assertEquals(200, publishRaw("tokens", "llm", "text/stream", body));
            RealtimeMessage start = sub.poll(WAIT).orElseThrow();
            assertEquals(RealtimeMessage.Kind.DATASTREAM_START, start.kind());
            String streamId = start.data().asText();
            StringBuilder got = new StringBuilder();
            RealtimeMessage m = sub.poll(WAIT).orElseThrow();
            while (m.kind() == RealtimeMessage.Kind.CHUNK) {
                assertEquals(streamId, m.streamId());
                got.append(m.data().asText());
                m = sub.poll(WAIT).orElseThrow();
            }
            assertEquals(RealtimeMessage.Kind.DATASTREAM_END, m.kind());
            assertEquals(streamId, m.data().asText());
            assertEquals(body, got.toString());
        }
    }

    @Test
    void badPublishesAndTokenRequestsAreRefusedWithOneLine() {
        var noTopic = api.request("POST", "/v1/realtime/publish?channel=a", "{}");
        assertEquals(400, noTopic.status());
        assertTrue(noTopic.json().path("error").asText().startsWith("publish: ?channel= and ?topic= are required"), noTopic.text());
        var badRun = api.request("POST", "/v1/realtime/publish?channel=a&topic=t&run_id=nope", "{}");
        assertEquals(400, badRun.status());
        assertTrue(badRun.json().path("error").asText().contains("run_id"), badRun.text());
        var empty = api.request("POST", "/v1/realtime/token", "[]");
        assertEquals(400, empty.status());
        assertTrue(empty.json().path("error").asText().startsWith("Invalid request: must provide a list of topics"), empty.text());
        var noName = api.request("POST", "/v1/realtime/token", "[{\"channel\":\"a\"}]");
        assertEquals(400, noName.status());
        var ok = api.request("POST", "/v1/realtime/token", "[{\"channel\":\"a\",\"name\":\"t\",\"kind\":\"run\"}]");
        assertEquals(201, ok.status(), ok.text());
        JsonNode claims = read(Base64.getUrlDecoder().decode(ok.json().path("jwt").asText().split("\\.")[1]));
        assertEquals("rt.inngest.com", claims.path("iss").asText());
        assertEquals(60, claims.path("exp").asLong() - claims.path("iat").asLong());
        assertEquals("a", claims.path("topics").get(0).path("channel").asText());
        assertEquals("t", claims.path("topics").get(0).path("name").asText());
        assertFalse(claims.path("publish").asBoolean());
    }

    @Test
    void aWebSocketSubscriberAddsTopicsWithAnotherTokenAndDropsThem() throws Exception {
        String first = fixture.app.subscriptionToken("room/1", List.of("chat"));
        String second = fixture.app.subscriptionToken("room/2", List.of("chat"));
        var frames = new java.util.concurrent.LinkedBlockingQueue<String>();
        var ws = http.newWebSocketBuilder().buildAsync(URI.create(api.base().replace("http", "ws") + "/v1/realtime/connect?token=" + first),
                new java.net.http.WebSocket.Listener() {
                    final StringBuilder sb = new StringBuilder();

                    @Override
                    public java.util.concurrent.CompletionStage<?> onText(java.net.http.WebSocket w, CharSequence data, boolean last) {
                        sb.append(data);
                        if (last) {
                            frames.add(sb.toString());
                            sb.setLength(0);
                        }
                        w.request(1);
                        return null;
                    }
                }).get(10, java.util.concurrent.TimeUnit.SECONDS);
        try {
            ws.sendText("{\"kind\":\"sub\",\"data\":\"" + second + "\"}", true).get(5, java.util.concurrent.TimeUnit.SECONDS);
            Api.await(() -> {
                fixture.app.publish("room/2", "chat", Map.of("n", 2));
                return frames.poll();
            }, f -> f != null, "a message of the second token's channel");
            ws.sendText("{\"kind\":\"unsub\",\"data\":[{\"channel\":\"room/2\",\"name\":\"chat\"}]}", true).get(5, java.util.concurrent.TimeUnit.SECONDS);
            Api.await(() -> {
                frames.clear();
                fixture.app.publish("room/2", "chat", Map.of("n", 3));
                fixture.app.publish("room/1", "chat", Map.of("n", 1));
                try {
                    return frames.poll(2, java.util.concurrent.TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            }, f -> f != null && f.contains("\"n\":1"), "the first channel's message arriving first: the dropped channel's, published before it, no longer comes");
        } finally {
            ws.abort();
        }
    }

    @Test
    void aPlainGetOfTheWebSocketRouteIsRefusedAndLeavesNoSubscriber() {
        int before = noSubscribersLeft();
        String token = fixture.app.subscriptionToken("plain", List.of("get"));
        var r = api.request("GET", "/v1/realtime/connect?token=" + token, null);
        assertEquals(400, r.status(), r.text());
        assertTrue(r.json().path("error").asText().contains("WebSocket endpoint"), r.text());
        assertEquals(before, fixture.dev.realtime().subscribers());
    }

    @Test
    void aSubscriberThatStopsReadingIsCutOffWhilePublishersAndOtherSubscribersGoOn() throws Exception {
        String token = fixture.app.subscriptionToken("firehose", List.of("big"));
        int before = noSubscribersLeft();
        // A WebSocket that never asks for a frame: the JDK client stops reading the socket, as a stuck client would.
        var stuck = http.newWebSocketBuilder().buildAsync(URI.create(api.base().replace("http", "ws") + "/v1/realtime/connect?token=" + token),
                new java.net.http.WebSocket.Listener() {
                    @Override
                    public void onOpen(java.net.http.WebSocket w) {
                    }
                }).get(10, java.util.concurrent.TimeUnit.SECONDS);
        try (var reader = RealtimeSubscription.subscribe(fixture.app, "firehose", List.of("big"))) {
            JsonNode big = Json.nodes().textNode("x".repeat(64 * 1024));
            // More than the buffer plus what the socket's buffers can hold for the stuck client.
            int sent = dev.loomstep.devserver.realtime.Broadcaster.DEFAULT_BUFFER + 600;
            long t0 = System.nanoTime();
            var received = new AtomicInteger();
            Thread drain = Thread.ofVirtual().start(() -> {
                while (received.get() < sent && reader.poll(WAIT).isPresent()) {
                    received.incrementAndGet();
                }
            });
            for (int i = 0; i < sent; i++) {
                fixture.dev.realtime().publish(RealtimeMessage.data("firehose", "big", big, null, java.time.Instant.now()));
                while (i - received.get() > 256) {
                    Thread.sleep(1); // paced to the reading subscriber, which keeps up; the stuck one cannot
                }
            }
            long publishMs = (System.nanoTime() - t0) / 1_000_000;
            Api.await(() -> fixture.dev.realtime().subscribers(), n -> n == before + 1, "the stuck subscriber cut off, the reader kept");
            drain.join(Duration.ofSeconds(30));
            assertEquals(sent, received.get(), "the reading subscriber got every message");
            assertTrue(publishMs < 20_000, "publishing " + sent + " messages took " + publishMs + " ms");
        } finally {
            stuck.abort();
        }
    }

    private int publishRaw(String channel, String topic, String contentType, String body) {
        try {
            var req = HttpRequest.newBuilder(URI.create(api.base() + "/v1/realtime/publish?channel=" + channel + "&topic=" + topic))
                    .header("Content-Type", contentType).POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)).build();
            return http.send(req, HttpResponse.BodyHandlers.ofString()).statusCode();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** Waits until the subscriptions of earlier tests have all closed (a close reaches the server a moment later). */
    private int noSubscribersLeft() {
        return Api.await(() -> fixture.dev.realtime().subscribers(), n -> n == 0, "no realtime subscriber left");
    }

    private void awaitSubscribers(int n) {
        Api.await(() -> fixture.dev.realtime().subscribers(), c -> c >= n, n + " realtime subscriber(s)");
    }

    private static JsonNode read(byte[] json) {
        try {
            return Json.mapper().readTree(json);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
