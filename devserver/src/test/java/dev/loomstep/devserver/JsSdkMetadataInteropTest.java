package dev.loomstep.devserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.testkit.JsPeer;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The official JS SDK 4.24's run and step metadata on the devserver (testkit/js-peer's {@code meta} app):
 * what {@code inngest.metadata…set()} puts on a {@code step.run}'s op, what {@code step.metadata(id)} sends,
 * and what it posts to {@code POST /v1/runs/{runId}/metadata}, all in {@code GET /v1/runs/{runId}}; with the
 * SDK's checkpointing (the steps come through {@code /v1/checkpoint}) and without (in 206 answers).
 */
@Timeout(120)
class JsSdkMetadataInteropTest {

    @ParameterizedTest(name = "checkpointing {0}")
    @ValueSource(strings = {"on", "off"})
    void theJsSdksRunAndStepMetadataIsInTheRun(String checkpointing) throws Exception {
        JsPeer.assumeAvailable();
        int port;
        try (var s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        String origin = "http://127.0.0.1:" + port;
        Map<String, String> env = new HashMap<>(Map.of("INNGEST_API_BASE_URL", origin, "INNGEST_EVENT_API_BASE_URL", origin));
        if (checkpointing.equals("off")) {
            env.put("PEER_CHECKPOINTING", "off");
        }
        try (JsPeer peer = JsPeer.start(env);
             DevServer dev = DevServer.builder().port(port).inMemory().retryDelayScale(0.01)
                     .sync(peer.baseUrl().replace("/api/inngest", "/api/meta")).start()) {
            Api api = new Api(dev);
            Api.await(() -> api.get("/v1/functions").toString(), t -> t.contains("meta-tagged"), "the meta app's sync at start");
            String runId = api.runOf(api.send("meta/tagged", Map.of()));
            JsonNode run = api.awaitEnd(runId, "Completed", Duration.ofSeconds(30), "the JS SDK's run with metadata");
            assertEquals(1250, run.path("output").asInt(), run.toString());
            JsonNode all = Api.await(() -> api.run(runId).path("metadata"), a -> a.size() >= 4, "the run's four kinds of metadata");
            assertEquals(4, all.size(), all::toString);
            assertEquals("charging", find(all, "run", "userland.progress").path("values").path("status").asText(), all::toString);
            assertEquals("ada", find(all, "run", "userland.default").path("values").path("customer").asText(),
                    "step.metadata(\"tag\") is the run's: " + all);
            assertEquals(1250, find(all, "run", "userland.totals").path("values").path("cents").asInt(), all::toString);
            JsonNode payments = find(all, "step", "userland.payments");
            assertEquals("stripe", payments.path("values").path("gateway").asText());
            JsonNode charge = null;
            for (JsonNode s : api.run(runId).path("steps")) {
                if ("charge".equals(s.path("name").asText())) {
                    charge = s;
                }
            }
            assertTrue(charge != null, () -> "no step charge in " + run);
            assertEquals(payments.path("step").asText(), charge.path("id").asText(), "the step's metadata names its step");
            assertEquals("userland.payments", charge.path("metadata").get(0).path("kind").asText(), charge::toString);
        }
    }

    private static JsonNode find(JsonNode all, String scope, String kind) {
        for (JsonNode m : all) {
            if (scope.equals(m.path("scope").asText()) && kind.equals(m.path("kind").asText())) {
                return m;
            }
        }
        throw new AssertionError("no " + scope + " metadata of kind " + kind + " in " + all);
    }
}
