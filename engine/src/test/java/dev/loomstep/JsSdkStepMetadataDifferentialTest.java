package dev.loomstep;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.protocol.CallResult;
import dev.loomstep.protocol.Json;
import dev.loomstep.protocol.StepIds;
import dev.loomstep.testkit.JsPeer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The metadata ops of the JS SDK 4.24's {@code meta} app ({@code testkit/js-peer/server.js}, served at
 * {@code /api/meta}) against a Loomstep twin, call request by call request: metadata set inside
 * {@code step.run} rides on that step's op, and {@code step.metadata(id)} is a {@code StepRun} whose op carries
 * the run's metadata; the op's {@code metadata} must be the same list, in the same order.
 */
class JsSdkStepMetadataDifferentialTest {
    private static final String RUN = "01JPEERRUN0000000000000000";

    @Test
    void metadataOnOpsIsTheJsSdks() throws Exception {
        JsPeer.assumeAvailable();
        try (EventApi events = EventApi.start();
             JsPeer peer = JsPeer.start(Map.of("INNGEST_EVENT_API_BASE_URL", events.origin(), "INNGEST_API_BASE_URL", events.origin()))) {
            var app = new AtomicReference<Loomstep>();
            var tagged = Function.builder("tagged").trigger(Trigger.event("meta/tagged")).handler((in, step) -> {
                int cents = step.run("charge", Integer.class, () -> {
                    app.get().metadata(in.runId()).step("charge").set(Map.of("gateway", "stripe"), "payments");
                    app.get().metadata(in.runId()).set(Map.of("status", "charging"), "progress");
                    return 1250;
                });
                step.metadata("tag").set(Map.of("customer", "ada"));
                return cents;
            });
            app.set(Loomstep.builder("meta").config(Config.from(Map.of("INNGEST_DEV", "1"))).functions(tagged)
                    .eventSender(events.sender(Loomstep.SDK_HEADER)).build());
            String url = peer.baseUrl().replace("/api/inngest", "/api/meta") + "?fnId=meta-tagged&stepId=step";

            for (var memo : new Calls[] {Calls.request().runId(RUN), Calls.request().runId(RUN).memo("charge", 1250)}) {
                var tree = (com.fasterxml.jackson.databind.node.ObjectNode) Json.toTree(memo.build());
                ((com.fasterxml.jackson.databind.node.ObjectNode) tree.get("event")).put("name", "meta/tagged");
                ((com.fasterxml.jackson.databind.node.ObjectNode) tree.get("events").get(0)).put("name", "meta/tagged");
                JsonNode js = Json.mapper().readTree(post(url, Json.toString(tree)));
                CallResult ours = app.get().call("meta-tagged", "step",
                        Json.mapper().convertValue(tree, dev.loomstep.protocol.CallRequest.class), null);
                JsonNode mine = Calls.body(ours);
                String context = "\n  JS:       " + js + "\n  Loomstep: " + mine;
                assertEquals(206, ours.status(), context);
                assertEquals(js.get(0).path("op").asText(), mine.get(0).path("op").asText(), context);
                assertEquals(js.get(0).path("id").asText(), mine.get(0).path("id").asText(), context);
                assertEquals(js.get(0).path("metadata"), mine.get(0).path("metadata"), "the op's metadata differs:" + context);
            }
            assertEquals(StepIds.sha1Hex("charge"), Calls.body(app.get().call("meta-tagged", "step", Calls.request().runId(RUN).build(), null))
                    .get(0).path("id").asText());
        }
    }

    private static String post(String url, String body) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 206) {
            throw new AssertionError("the JS peer answered " + r.statusCode() + ": " + r.body());
        }
        return r.body();
    }
}
