package dev.loomstep.devserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.testkit.JsPeer;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The official JS SDK 4.24 with its extended traces ({@code extendedTracesMiddleware}) on the devserver: the
 * spans it POSTs to {@code /v1/traces/userland} (OTLP/HTTP JSON, as its exporter sends them) are read and
 * filed under the run, with the attributes it parrots from the devserver's {@code tracestate}.
 */
@Timeout(120)
class JsSdkTracesInteropTest {
    static JsPeer peer;
    static DevServer dev;
    static Api api;

    @BeforeAll
    static void start() throws Exception {
        JsPeer.assumeAvailable();
        int port;
        try (var s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        String origin = "http://127.0.0.1:" + port;
        peer = JsPeer.start(Map.of("INNGEST_API_BASE_URL", origin, "INNGEST_EVENT_API_BASE_URL", origin, "PEER_TRACES", "on"));
        dev = DevServer.builder().port(port).inMemory().retryDelayScale(0.01)
                .sync(peer.baseUrl().replace("/api/inngest", "/api/traced")).start();
        api = new Api(dev);
        Api.await(() -> api.get("/v1/functions").toString(), t -> t.contains("traced-work"), "the traced app's sync at start");
    }

    @AfterAll
    static void stop() {
        if (dev != null) {
            dev.close();
        }
        if (peer != null) {
            peer.close();
        }
    }

    @Test
    void theJsSdksExtendedTracesAreFiledUnderTheirRun() {
        String runId = api.runOf(api.send("traced/work", Map.of()));
        JsonNode run = api.awaitEnd(runId, "Completed", Duration.ofSeconds(30), "the JS SDK's traced run");
        assertEquals(3, run.path("output").path("n").asInt(), run.toString());

        List<String> names = List.of("inngest.execution", "js-count");
        JsonNode spans = Api.await(() -> api.get("/v1/runs/" + runId + "/spans").get("data"),
                a -> a.findValuesAsText("name").containsAll(names), "the JS SDK's spans " + names + " of run " + runId);
        JsonNode count = null;
        JsonNode execution = null;
        for (JsonNode s : spans) {
            assertEquals(runId, s.path("attributes").path("sdk.run.id").asText(), s.toString());
            assertTrue(s.path("attributes").path("inngest.traceref").asText().contains(runId), "the traceref is parroted back: " + s);
            if (s.path("name").asText().equals("js-count")) {
                count = s;
            }
            if (s.path("name").asText().equals("inngest.execution")) {
                execution = s;
            }
        }
        assertEquals(3, count.path("attributes").path("peer.items").asInt(), count.toString());
        assertEquals("traced", execution.path("attributes").path("sdk.app.id").asText(), "from the devserver's tracestate");
        String sent = execution.path("attributes").path("inngest.traceparent").asText();
        assertEquals(sent.substring(3, 35), execution.path("trace_id").asText(),
                "the JS SDK starts its call span as a root; filed, like Inngest does, in the trace the devserver sent");
        assertEquals(sent.substring(36, 52), execution.path("parent_span_id").asText(), "under the span the devserver sent");
        assertEquals(execution.path("span_id").asText(), count.path("parent_span_id").asText(), "the user's span under the call's");
        assertEquals(execution.path("trace_id").asText(), count.path("trace_id").asText());
    }
}
