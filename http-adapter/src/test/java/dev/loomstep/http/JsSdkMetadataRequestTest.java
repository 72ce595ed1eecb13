package dev.loomstep.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loomstep.http.signing.SigningKey;
import dev.loomstep.metadata.RunMetadata;
import dev.loomstep.protocol.Json;
import dev.loomstep.testkit.JsPeer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code app.metadata(runId)…set(values)} sends the request the official JS SDK 4.24's
 * {@code inngest.metadata.run(runId)…set(values)} sends, byte for byte in meaning: method, path and body,
 * for the run, a step, a step's repeat and one attempt (testkit/js-peer/metadata-requests.js captures JS's).
 */
class JsSdkMetadataRequestTest {
    static final String RUN = "01JMETADATA00000000000RUN1";
    RecordingServer api = RecordingServer.replying(new RecordingServer.Answer(200, "{}"));

    @AfterEach
    void close() {
        api.close();
    }

    @Test
    void runAndStepMetadataRequestsAreTheJsSdks() {
        ArrayNode calls = Json.nodes().arrayNode();
        calls.addObject().set("values", Json.toTree(Map.of("status", "charging")));
        calls.addObject().put("step", "charge").put("kind", "payments").set("values", Json.toTree(Map.of("gateway", "stripe", "cents", 1250)));
        calls.addObject().put("step", "charge").put("index", 2).put("attempt", 1).set("values", Json.toTree(Map.of("retried", true)));
        ObjectNode request = Json.nodes().objectNode().put("runId", RUN);
        request.set("calls", calls);
        JsonNode js = Json.toTree(parse(JsPeer.runScript("metadata-requests.js", "inngest", Json.toString(request)))).path("requests");

        RunMetadata run = RunMetadata.of(SignalClientTest.cloudClient(api), Json.mapper(), RUN);
        run.set(Map.of("status", "charging"));
        run.step("charge").set(Map.of("gateway", "stripe", "cents", 1250), "payments");
        run.step("charge", 2).attempt(1).set(Map.of("retried", true));

        assertEquals(3, js.size(), js::toString);
        var ours = api.requests();
        assertEquals(js.size(), ours.size());
        for (int i = 0; i < js.size(); i++) {
            var r = ours.get(i);
            assertEquals(js.get(i).path("method").asText(), r.method());
            assertEquals(js.get(i).path("path").asText(), r.pathAndQuery());
            assertEquals(js.get(i).path("body"), parse(new String(r.body(), StandardCharsets.UTF_8)), "request " + i);
            assertEquals("Bearer " + new SigningKey(SignalClientTest.KEY).bearerToken(), r.header("Authorization"));
        }
    }

    @Test
    void valuesThatAreNotAnObjectAreRefusedBeforeSending() {
        RunMetadata run = RunMetadata.of(SignalClientTest.cloudClient(api), Json.mapper(), RUN);
        var e = assertThrows(IllegalArgumentException.class, () -> run.set(java.util.List.of(1, 2)));
        assertTrue(e.getMessage().contains("JSON object"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> run.attempt(0));
        assertEquals(0, api.requests().size());
    }

    private static JsonNode parse(String text) {
        try {
            return Json.mapper().readTree(text);
        } catch (Exception e) {
            throw new AssertionError("not JSON: " + text, e);
        }
    }
}
