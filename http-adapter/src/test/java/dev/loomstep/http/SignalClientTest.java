package dev.loomstep.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loomstep.Config;
import dev.loomstep.protocol.Json;
import dev.loomstep.http.signing.SigningKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@link EventClient#sendSignal}: {@code POST /v1/signals} of the Inngest API, its answers and its auth. */
class SignalClientTest {
    static final String KEY = "signkey-test-8ee2262a15e8d3c42d6a840db7af3de2aab08ef632b32a37a687f24b34dba3ff";
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

    static EventClient cloudClient(RecordingServer api) {
        return EventClient.of(Config.from(Map.of("INNGEST_API_BASE_URL", api.origin(), "INNGEST_EVENT_API_BASE_URL", api.origin(),
                "INNGEST_EVENT_KEY", "k", "INNGEST_SIGNING_KEY", KEY, "INNGEST_ENV", "branch-1")));
    }

    @Test
    void postsTheSignalWithTheSigningKeysBearerAndReturnsTheResumedRun() {
        var api = api(new RecordingServer.Answer(200, "{\"data\":{\"run_id\":\"01RUN\"},\"metadata\":{}}"));
        Optional<String> run = cloudClient(api).sendSignal("approve/1", Json.toTree(Map.of("by", "ada")));

        assertEquals(Optional.of("01RUN"), run);
        var req = api.requests().get(0);
        assertEquals("POST", req.method());
        assertEquals("/v1/signals", req.pathAndQuery());
        assertEquals(Json.toTree(Map.of("signal", "approve/1", "data", Map.of("by", "ada"))), parse(req.text()));
        assertEquals("Bearer " + new SigningKey(KEY).bearerToken(), req.header("Authorization"));
        assertEquals("branch-1", req.header("X-Inngest-Env"));
    }

    @Test
    void aSignalNobodyWaitsForIsEmptyNotAnError() {
        var api = api(new RecordingServer.Answer(404, "{\"error\":\"No signal found\",\"data\":null,\"status\":404}"));
        assertEquals(Optional.empty(), cloudClient(api).sendSignal("approve/2", null));
        assertTrue(!api.requests().get(0).text().contains("\"data\""), "no data, no data field: " + api.requests().get(0).text());
    }

    @Test
    void aRefusalOrAnAnswerWithoutARunIsOneClearError() {
        var api = api(new RecordingServer.Answer(500, "{\"error\":\"Failed to receive signal\",\"status\":500}"),
                new RecordingServer.Answer(200, "{\"ok\":true}"));
        var refused = assertThrows(EventSendException.class, () -> cloudClient(api).sendSignal("approve/3", null));
        assertEquals(500, refused.status());
        assertTrue(refused.getMessage().contains("approve/3") && refused.getMessage().contains("Failed to receive signal"),
                refused.getMessage());
        var odd = assertThrows(EventSendException.class, () -> cloudClient(api).sendSignal("approve/3", null));
        assertTrue(odd.getMessage().contains("names no run"), odd.getMessage());
    }

    @Test
    void aClientBuiltWithoutAConfigurationSaysHowToSendSignals() {
        var client = EventClient.builder().eventApiOrigin("http://127.0.0.1:1").eventKey("k").build();
        var e = assertThrows(IllegalStateException.class, () -> client.sendSignal("s", null));
        assertTrue(e.getMessage().contains("config("), e.getMessage());
    }

    private static com.fasterxml.jackson.databind.JsonNode parse(String text) {
        try {
            return Json.mapper().readTree(text);
        } catch (java.io.IOException e) {
            throw new AssertionError(text, e);
        }
    }
}
