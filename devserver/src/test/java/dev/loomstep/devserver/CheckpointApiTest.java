package dev.loomstep.devserver;

import static dev.loomstep.devserver.FakeSdk.done;
import static dev.loomstep.devserver.FakeSdk.hash;
import static dev.loomstep.devserver.FakeSdk.ops;
import static dev.loomstep.devserver.FakeSdk.sleepJs;
import static dev.loomstep.devserver.FakeSdk.stepRun;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loomstep.protocol.Json;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The checkpoint API ({@code POST /v1/checkpoint/{runId}/async}) against a scripted SDK that checkpoints
 * the way JS 4.x does: from inside the executor's call, with what that call carried ({@code ctx.fn_id},
 * {@code ctx.qi_id}, {@code X-Request-Id}, {@code X-Inngest-Generation-Id}).
 */
@Timeout(30)
class CheckpointApiTest extends ScriptedDevServerTest {
    /** What the script saw from inside its calls, asserted on the test thread. */
    private final Map<String, Object> seen = new ConcurrentHashMap<>();

    @Test
    void everyCallCarriesWhatAnSdkNeedsToCheckpoint() throws Exception {
        sdk.fn("f").on("test/carry").handler(c -> done("ok"));
        sdk.sync(dev);

        api.awaitStatus(api.runOf(api.send("test/carry", Map.of())), "Completed");

        FakeSdk.Call call = sdk.calls("f").get(0);
        JsonNode ctx = call.body().get("ctx");
        assertTrue(ctx.get("fn_id").asText().matches("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), ctx.toString());
        assertTrue(ctx.get("qi_id").asText().matches("\\d+"), ctx.toString());
        assertTrue(call.headers().get("x-request-id").matches("[0-9A-Z]{26}"), call.headers().toString());
        assertTrue(call.headers().get("x-inngest-generation-id").matches("\\d+"), call.headers().toString());
    }

    @Test
    void checkpointedStepsAreCommittedBeforeTheAnswerAndTheRunEndsInOneCall() throws Exception {
        sdk.fn("seq").on("test/seq").handler(c -> {
            Api.Response a = checkpoint(c, steps(s -> s.add(step("a", 1))));
            seen.put("a", a.status());
            seen.put("after-a", api.run(c.runId()).get("steps"));
            Api.Response b = checkpoint(c, steps(s -> s.add(step("b", 2))));
            seen.put("b", b.status());
            return done(Map.of("sum", 3));
        });
        sdk.sync(dev);

        String runId = api.runOf(api.send("test/seq", Map.of()));
        JsonNode run = api.awaitStatus(runId, "Completed");

        assertEquals(200, seen.get("a"));
        assertEquals(200, seen.get("b"));
        JsonNode afterA = (JsonNode) seen.get("after-a");
        assertEquals(1, afterA.size(), "step a is in the timeline as soon as its checkpoint is answered: " + afterA);
        assertEquals("completed", afterA.get(0).get("status").asText());
        assertEquals(1, afterA.get(0).get("output").asInt());
        assertEquals(1, sdk.calls("seq").size(), "no call per step: " + sdk.calls("seq"));
        assertEquals(List.of("a", "b"), run.get("steps").findValuesAsText("name"), run.toString());
        assertEquals(List.of("StepRun", "StepRun"), run.get("steps").findValuesAsText("op"));
        assertEquals(3, run.get("output").get("sum").asInt());
        assertEquals(2, api.get("/dev").get("checkpoints").get("committed_steps").asInt());
    }

    @Test
    void aCheckpointedStepIsSentMemoizedInTheNextCallAfterASleep() throws Exception {
        sdk.fn("nap").on("test/nap").handler(c -> {
            if (!c.has("a")) {
                checkpoint(c, steps(s -> s.add(step("a", 41))));
                return ops(sleepJs("zz", "10ms"));
            }
            if (!c.has("zz")) {
                return ops(sleepJs("zz", "10ms"));
            }
            return done(c.data("a").asInt() + 1);
        });
        sdk.sync(dev);

        JsonNode run = api.awaitStatus(api.runOf(api.send("test/nap", Map.of())), "Completed");

        assertEquals(42, run.get("output").asInt(), run.toString());
        assertEquals(List.of("StepRun", "Sleep"), run.get("steps").findValuesAsText("op"));
        assertEquals(2, sdk.calls("nap").size());
        assertFalse(sdk.calls("nap").get(1).disableImmediate(), "one reported step is not parallel work");
    }

    @Test
    void whenACheckpointFailsTheStepsItHeldComeInTheAnswerAndTheRunStaysOnImmediateExecution() throws Exception {
        sdk.fn("fallback").on("test/fallback").handler(c -> {
            if (!c.has("a")) {
                // JS 4.x: a failed checkpoint (not a 409) makes it answer with the steps it could not report.
                seen.put("refused", post(c.runId(), "{}").status());
                return ops(stepRun("a", 1), stepRun("b", 2));
            }
            return done(c.data("a").asInt() + c.data("b").asInt());
        });
        sdk.sync(dev);

        JsonNode run = api.awaitStatus(api.runOf(api.send("test/fallback", Map.of())), "Completed");

        assertEquals(400, seen.get("refused"));
        assertEquals(3, run.get("output").asInt(), run.toString());
        assertEquals(List.of("a", "b"), run.get("steps").findValuesAsText("name"));
        assertFalse(sdk.calls("fallback").get(1).disableImmediate(), "steps that already ran are not parallel work");
    }

    @Test
    void aCheckpointOfACallThatIsNoLongerInFlightIsRefusedWith409AndChangesNothing() throws Exception {
        var first = new java.util.concurrent.atomic.AtomicReference<FakeSdk.Call>();
        sdk.fn("stale").on("test/stale").handler(c -> {
            if (!c.has("a")) {
                first.set(c);
                return ops(stepRun("a", 1));
            }
            ObjectNode old = body(first.get(), steps(s -> s.add(step("ghost", 0))));
            seen.put("old-call", post(c.runId(), old).status());
            ObjectNode otherGeneration = body(c, steps(s -> s.add(step("ghost", 0))));
            otherGeneration.put("generation_id", otherGeneration.get("generation_id").asLong() + 1000);
            seen.put("other-generation", post(c.runId(), otherGeneration).status());
            ObjectNode otherRequest = body(c, steps(s -> s.add(step("ghost", 0))));
            otherRequest.put("request_id", "01ARZ3NDEKTSV4RRFFQ69G5FAV");
            seen.put("other-request", post(c.runId(), otherRequest).status());
            seen.put("current", checkpoint(c, steps(s -> s.add(step("b", 2)))).status());
            return done("ok");
        });
        sdk.sync(dev);

        JsonNode run = api.awaitStatus(api.runOf(api.send("test/stale", Map.of())), "Completed");

        assertEquals(409, seen.get("old-call"), "the first call has answered");
        assertEquals(409, seen.get("other-generation"));
        assertEquals(409, seen.get("other-request"));
        assertEquals(200, seen.get("current"));
        assertEquals(List.of("a", "b"), run.get("steps").findValuesAsText("name"), "no ghost step: " + run);
        assertEquals(3, api.get("/dev").get("checkpoints").get("refused").asInt());
    }

    @Test
    void aCheckpointAfterTheRunWasCancelledIsRefusedWith409() throws Exception {
        sdk.fn("cancelled").on("test/cancelled").handler(c -> {
            api.request("DELETE", "/v1/runs/" + c.runId(), null);
            seen.put("after-cancel", checkpoint(c, steps(s -> s.add(step("a", 1)))).status());
            return done("too late");
        });
        sdk.sync(dev);

        String runId = api.runOf(api.send("test/cancelled", Map.of()));
        Api.await(() -> seen.get("after-cancel"), s -> s != null, "the checkpoint after the cancel");

        assertEquals(409, seen.get("after-cancel"));
        JsonNode run = api.run(runId);
        assertEquals("Cancelled", run.get("status").asText(), run.toString());
        assertEquals(0, run.get("steps").size(), run.toString());
    }

    @Test
    void badCheckpointBodiesAreRefusedWith400AndOneLineAndChangeNothing() throws Exception {
        sdk.fn("bad").on("test/bad").handler(c -> {
            String runId = c.runId();
            ObjectNode good = body(c, steps(s -> s.add(step("a", 1))));
            seen.put("not json", post(runId, "{steps: [").text());
            seen.put("an array", post(runId, "[]").text());
            seen.put("no qi_id", post(runId, without(good, "qi_id")).text());
            seen.put("no steps", post(runId, without(good, "steps")).text());
            seen.put("other run", post(runId, good.deepCopy().put("run_id", "01ARZ3NDEKTSV4RRFFQ69G5FAV")).text());
            seen.put("other fn", post(runId, good.deepCopy().put("fn_id", "00000000-0000-0000-0000-000000000000")).text());
            seen.put("qi not a number", post(runId, good.deepCopy().put("qi_id", "abc")).text());
            seen.put("generation text", post(runId, good.deepCopy().put("generation_id", "x")).text());
            seen.put("a sleep", post(runId, body(c, steps(s -> s.add(Json.mapper().valueToTree(sleepJs("zz", "1s")))))).text());
            seen.put("no id", post(runId, body(c, steps(s -> s.addObject().put("op", "StepRun").put("data", 1)))).text());
            seen.put("good after all", post(runId, good).text());
            return done("ok");
        });
        sdk.sync(dev);

        JsonNode run = api.awaitStatus(api.runOf(api.send("test/bad", Map.of())), "Completed");

        for (var e : seen.entrySet()) {
            String text = (String) e.getValue();
            JsonNode answer = Json.mapper().readTree(text);
            if (e.getKey().equals("good after all")) {
                assertEquals(200, answer.get("status").asInt(), text);
                continue;
            }
            assertEquals(400, answer.get("status").asInt(), e.getKey() + ": " + text);
            assertFalse(text.contains("\n"), "one line: " + text);
            assertTrue(answer.get("error").asText().startsWith("invalid checkpoint"), e.getKey() + ": " + text);
        }
        assertEquals(11, seen.size());
        assertTrue(((String) seen.get("a sleep")).contains("cannot checkpoint op \\\"Sleep\\\""), (String) seen.get("a sleep"));
        assertEquals(List.of("a"), run.get("steps").findValuesAsText("name"), "only the good checkpoint committed: " + run);
    }

    @Test
    void aCheckpointForAnUnknownRunIs404() {
        var body = Json.nodes().objectNode().put("run_id", "01ARZ3NDEKTSV4RRFFQ69G5FAV")
                .put("fn_id", "00000000-0000-0000-0000-000000000000").put("qi_id", "1");
        body.putArray("steps");

        Api.Response r = api.request("POST", "/v1/checkpoint/01ARZ3NDEKTSV4RRFFQ69G5FAV/async", body.toString());

        assertEquals(404, r.status(), r.text());
    }

    @Test
    void withASigningKeyACheckpointNeedsTheSdksBearer() throws Exception {
        String key = "signkey-test-8ee2262a15e8d3c42d6a840db7af3de2aab08ef632b32a37a687f24b34dba3ff";
        // The hashed form SDKs send: prefix kept, SHA-256 of the hex-decoded key.
        String hashed = "signkey-test-" + java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                .digest(java.util.HexFormat.of().parseHex(key.substring("signkey-test-".length()))));
        try (DevServer signed = DevServer.builder().port(0).inMemory().retryDelayScale(0.001).signingKey(key).start()) {
            var signedApi = new Api(signed);
            sdk.fn("auth").on("test/auth").handler(c -> {
                ObjectNode a = body(c, steps(s -> s.add(step("a", 1))));
                seen.put("none", post(signedApi, c.runId(), a.toString(), null).status());
                seen.put("raw key", post(signedApi, c.runId(), a.toString(), "Bearer " + key).status());
                seen.put("hashed", post(signedApi, c.runId(), a.toString(), "Bearer " + hashed).status());
                return done("ok");
            });
            sdk.sync(signed);

            JsonNode run = signedApi.awaitStatus(signedApi.runOf(signedApi.send("test/auth", Map.of())), "Completed");

            assertEquals(401, seen.get("none"));
            assertEquals(401, seen.get("raw key"));
            assertEquals(200, seen.get("hashed"));
            assertEquals(List.of("a"), run.get("steps").findValuesAsText("name"));
        }
    }

    // ---------------------------------------------------------------- what the scripted SDK sends

    private static ArrayNode steps(Consumer<ArrayNode> fill) {
        ArrayNode a = Json.nodes().arrayNode();
        fill.accept(a);
        return a;
    }

    /** A StepRun op as JS 4.x reports it in a checkpoint. */
    private static ObjectNode step(String userId, Object data) {
        ObjectNode o = Json.nodes().objectNode().put("op", "StepRun").put("id", hash(userId)).put("name", userId)
                .put("displayName", userId);
        o.set("data", Json.toTree(data));
        return o;
    }

    /** The body of JS 4.x's {@code checkpointStepsAsync}, from what the call carried. */
    private static ObjectNode body(FakeSdk.Call c, ArrayNode steps) {
        JsonNode ctx = c.body().get("ctx");
        ObjectNode o = Json.nodes().objectNode()
                .put("run_id", c.runId())
                .put("fn_id", ctx.get("fn_id").asText())
                .put("qi_id", ctx.get("qi_id").asText())
                .put("request_id", c.headers().get("x-request-id"))
                .put("generation_id", Long.parseLong(c.headers().get("x-inngest-generation-id")))
                .put("request_started_at", System.currentTimeMillis());
        o.set("steps", steps);
        o.put("ts", System.currentTimeMillis());
        return o;
    }

    private static ObjectNode without(ObjectNode o, String field) {
        ObjectNode copy = o.deepCopy();
        copy.remove(field);
        return copy;
    }

    private Api.Response checkpoint(FakeSdk.Call c, ArrayNode steps) {
        return post(c.runId(), body(c, steps));
    }

    private Api.Response post(String runId, Object body) {
        return api.request("POST", "/v1/checkpoint/" + runId + "/async", body.toString());
    }

    private static Api.Response post(Api to, String runId, String body, String authorization) {
        try {
            var b = java.net.http.HttpRequest.newBuilder(java.net.URI.create(to.base() + "/v1/checkpoint/" + runId + "/async"))
                    .header("Content-Type", "application/json")
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body));
            if (authorization != null) {
                b.header("Authorization", authorization);
            }
            var r = java.net.http.HttpClient.newHttpClient().send(b.build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            return new Api.Response(r.statusCode(), Json.mapper().readTree(r.body()), r.body());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
