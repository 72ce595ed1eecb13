package dev.loomstep.devserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Function;
import dev.loomstep.Loomstep;
import dev.loomstep.Trigger;
import dev.loomstep.http.EventSendException;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * Run and step metadata from a real Loomstep app, seen in {@code GET /v1/runs/{runId}}: {@code app.metadata(runId)}
 * inside a step rides on the step's op (in a checkpoint), {@code step.metadata(id)} is a step of its own carrying
 * the run's; and the REST route ({@code POST /v1/runs/{runId}/metadata}), its updates and its refusals, which
 * change nothing.
 */
@Timeout(60)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MetadataEndToEndTest {
    record Charge(String gateway, int cents) {}

    final AtomicReference<Loomstep> app = new AtomicReference<>();
    LoomstepDevServer fixture;
    Api api;

    @BeforeAll
    void start() {
        var tagged = Function.builder("tagged").trigger(Trigger.event("ls/tagged")).handler((in, step) -> {
            String charged = step.run("charge", String.class, () -> {
                app.get().metadata(in.runId()).step("charge").set(new Charge("stripe", 1250), "payments");
                return "charged";
            });
            app.get().metadata(in.runId()).set(Map.of("status", charged));
            return charged;
        });
        var stepped = Function.builder("stepped").trigger(Trigger.event("ls/stepped")).handler((in, step) -> {
            step.metadata("tag").set(Map.of("customer", "ada"));
            step.metadata("cost").set(Map.of("usd", 2), "billing");
            return step.run("work", String.class, () -> "done");
        });
        fixture = LoomstepDevServer.builder("meta").start(tagged, stepped);
        app.set(fixture.app);
        api = fixture.api;
    }

    @AfterAll
    void stop() {
        if (fixture != null) {
            fixture.close();
        }
    }

    @Test
    void runAndStepMetadataSetByTheAppAreInTheRunsRestView() {
        String runId = api.runOf(api.send("ls/tagged", Map.of()));
        api.awaitStatus(runId, "Completed");
        JsonNode run = api.run(runId);
        JsonNode all = run.path("metadata");
        assertEquals(2, all.size(), all::toString);
        JsonNode onRun = find(all, "run", "userland.default");
        assertEquals("charged", onRun.path("values").path("status").asText(), all::toString);
        JsonNode onStep = find(all, "step", "userland.payments");
        // set inside the step, it rode on the step's op, which names its step by hash (as the JS SDK's do)
        assertEquals(dev.loomstep.protocol.StepIds.sha1Hex("charge"), onStep.path("step").asText(), onStep::toString);
        assertEquals(1250, onStep.path("values").path("cents").asInt());
        JsonNode step = null;
        for (JsonNode s : run.path("steps")) {
            if ("charge".equals(s.path("name").asText())) {
                step = s;
            }
        }
        assertTrue(step != null, () -> "no step \"charge\" in " + run.path("steps"));
        assertEquals(1, step.path("metadata").size(), step::toString);
        assertEquals("stripe", step.path("metadata").get(0).path("values").path("gateway").asText());
    }

    @Test
    void stepMetadataRidesOnItsStepsOpAndIsTheRunsMetadata() {
        String runId = api.runOf(api.send("ls/stepped", Map.of()));
        api.awaitStatus(runId, "Completed");
        JsonNode all = api.run(runId).path("metadata");
        assertEquals(2, all.size(), all::toString);
        assertEquals("ada", find(all, "run", "userland.default").path("values").path("customer").asText(), all::toString);
        assertEquals(2, find(all, "run", "userland.billing").path("values").path("usd").asInt(), all::toString);
        JsonNode names = api.run(runId).path("steps").findValues("name").stream().collect(
                com.fasterxml.jackson.databind.node.JsonNodeFactory.instance::arrayNode,
                com.fasterxml.jackson.databind.node.ArrayNode::add, com.fasterxml.jackson.databind.node.ArrayNode::addAll);
        assertEquals("[\"tag\",\"cost\",\"work\"]", names.toString(), "each step.metadata is a step of the run");
    }

    @Test
    void updatesCombineByTheirOpAndKindsStaySeparate() {
        String runId = api.runOf(api.send("ls/tagged", Map.of()));
        api.awaitStatus(runId, "Completed");
        post(runId, "{\"target\":{\"run_id\":\"" + runId + "\"},\"metadata\":[{\"kind\":\"userland.cost\",\"op\":\"set\","
                + "\"values\":{\"usd\":1,\"model\":\"small\"}}]}", 200);
        post(runId, "{\"metadata\":[{\"kind\":\"userland.cost\",\"op\":\"add\",\"values\":{\"usd\":2.5}},"
                + "{\"kind\":\"userland.cost\",\"op\":\"merge\",\"values\":{\"model\":\"large\"}}]}", 200);
        JsonNode cost = find(api.run(runId).path("metadata"), "run", "userland.cost").path("values");
        assertEquals(3.5, cost.path("usd").asDouble(), cost::toString);
        assertEquals("large", cost.path("model").asText());
        post(runId, "{\"metadata\":[{\"kind\":\"userland.count\",\"op\":\"add\",\"values\":{\"n\":1}},"
                + "{\"kind\":\"userland.count\",\"op\":\"add\",\"values\":{\"n\":2}}]}", 200);
        assertEquals("{\"n\":3}", find(api.run(runId).path("metadata"), "run", "userland.count").path("values").toString());
        post(runId, "{\"metadata\":[{\"kind\":\"userland.cost\",\"op\":\"delete\",\"values\":{\"model\":null}}]}", 200);
        JsonNode after = api.run(runId).path("metadata");
        assertFalse(find(after, "run", "userland.cost").path("values").has("model"), after::toString);
        assertEquals("charged", find(after, "run", "userland.default").path("values").path("status").asText());
    }

    @Test
    void badUpdatesAreRefusedWithOneLineAndChangeNothing() {
        String runId = api.runOf(api.send("ls/tagged", Map.of()));
        api.awaitStatus(runId, "Completed");
        String before = api.run(runId).path("metadata").toString();
        assertRefused(runId, "not json", 400, "a metadata update");
        assertRefused(runId, "[]", 400, "the body is");
        assertRefused(runId, "{\"metadata\":{}}", 400, "metadata is an array");
        assertRefused(runId, "{\"target\":{\"step_index\":1},\"metadata\":[]}", 400, "target.step_id must be defined if target.step_index");
        assertRefused(runId, "{\"target\":{\"run_id\":\"other\"},\"metadata\":[]}", 400, "is not the run of the path");
        // the first update is fine, the second is not: neither is stored
        assertRefused(runId, "{\"metadata\":[{\"kind\":\"userland.ok\",\"op\":\"set\",\"values\":{\"a\":1}},"
                + "{\"kind\":\"inngest.internal\",\"op\":\"set\",\"values\":{}}]}", 400, "is reserved");
        assertRefused(runId, "{\"metadata\":[{\"kind\":\"userland.x\",\"op\":\"replace\",\"values\":{}}]}", 400, "op is one of");
        assertRefused(runId, "{\"metadata\":[{\"kind\":\"userland.x\",\"op\":\"set\",\"values\":[1]}]}", 400, "values is a JSON object");
        assertRefused(runId, "{\"metadata\":[{\"kind\":\"" + "k".repeat(129) + "\",\"values\":{}}]}", 400, "longer than 128");
        assertRefused(runId, "{\"metadata\":[{\"kind\":\"userland.big\",\"op\":\"set\",\"values\":{\"s\":\"" + "x".repeat(70_000)
                + "\"}}]}", 413, "64KB");
        assertEquals(before, api.run(runId).path("metadata").toString());
        assertRefused("01JNOSUCHRUN0000000000000A", "{\"metadata\":[]}", 404, "no run with id");
    }

    @Test
    void aRunHoldsAtMostOneMegabyteOfMetadata() {
        String runId = api.runOf(api.send("ls/tagged", Map.of()));
        api.awaitStatus(runId, "Completed");
        String chunk = "x".repeat(60_000);
        for (int i = 0; i < 17; i++) { // 17 × 60 KB = 1,020,000 bytes: under the limit
            post(runId, "{\"metadata\":[{\"kind\":\"userland.k" + i + "\",\"op\":\"set\",\"values\":{\"s\":\"" + chunk + "\"}}]}", 200);
        }
        String before = api.run(runId).path("metadata").toString();
        assertRefused(runId, "{\"metadata\":[{\"kind\":\"userland.more\",\"op\":\"set\",\"values\":{\"s\":\"" + chunk + "\"}}]}",
                413, "Cumulative metadata size exceeds limit");
        assertEquals(before, api.run(runId).path("metadata").toString());
    }

    @Test
    void theAppsClientReportsARefusalWithTheApisLine() {
        var e = org.junit.jupiter.api.Assertions.assertThrows(EventSendException.class,
                () -> fixture.app.metadata("01JNOSUCHRUN0000000000000A").set(Map.of("a", 1)));
        assertEquals(404, e.status());
        assertTrue(e.getMessage().contains("no run with id"), e.getMessage());
    }

    @Test
    void inProductionModeTheRouteNeedsTheSigningKeyWhichTheAppsClientSends() {
        String key = "signkey-prod-6f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";
        try (DevServer prod = DevServer.builder().production().port(0).inMemory().signingKey(key).eventKey("k")
                .apiAccess(dev.loomstep.devserver.auth.ApiAccess.KEY).start()) {
            Api.Response open = new Api(prod).request("POST", "/v1/runs/01JNOSUCHRUN0000000000000A/metadata", "{\"metadata\":[]}");
            assertEquals(401, open.status(), open.text());
            var client = dev.loomstep.http.EventClient.of(dev.loomstep.Config.from(Map.of("INNGEST_BASE_URL", prod.url(),
                    "INNGEST_SIGNING_KEY", key, "INNGEST_EVENT_KEY", "k")));
            var e = org.junit.jupiter.api.Assertions.assertThrows(EventSendException.class, () -> dev.loomstep.metadata.RunMetadata
                    .of(client, dev.loomstep.protocol.Json.mapper(), "01JNOSUCHRUN0000000000000A").set(Map.of("a", 1)));
            assertEquals(404, e.status(), "past the gate with the app's bearer: " + e.getMessage());
        }
    }

    private void post(String runId, String body, int status) {
        Api.Response r = api.request("POST", "/v1/runs/" + runId + "/metadata", body);
        assertEquals(status, r.status(), r.text());
    }

    private void assertRefused(String runId, String body, int status, String says) {
        Api.Response r = api.request("POST", "/v1/runs/" + runId + "/metadata", body);
        assertEquals(status, r.status(), r.text());
        String error = r.json() == null ? r.text() : r.json().path("error").asText();
        assertTrue(error.contains(says), () -> "expected \"" + says + "\" in " + r.text());
        assertFalse(error.contains("\n"), () -> "not one line: " + r.text());
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
