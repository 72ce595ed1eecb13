package dev.loomstep.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loomstep.Checkpointing;
import dev.loomstep.Config;
import dev.loomstep.Loomstep;
import dev.loomstep.protocol.Json;
import dev.loomstep.protocol.StepIds;
import dev.loomstep.testkit.JsPeer;
import dev.loomstep.undertow.LoomstepServer;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Checkpointing over real loopback HTTP: a Loomstep app served by {@link LoomstepServer} posts its
 * checkpoints to a small recording executor API on a free port. The last test sends the same call to the
 * official JS SDK peer and compares what both send and answer.
 */
class CheckpointHttpTest {
    static final String RUN = "01CKPTRUN";
    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : open.reversed()) {
            c.close();
        }
    }

    <T extends AutoCloseable> T keep(T c) {
        open.add(c);
        return c;
    }

    LoomstepServer serve(RecordingServer api, Checkpointing checkpointing) {
        Loomstep app = Loomstep.builder("peer")
                .config(Config.from(Map.of("INNGEST_DEV", api.origin(), "INNGEST_SIGNING_KEY", TestApps.KEY)))
                .checkpointing(checkpointing)
                .functions(dev.loomstep.PeerTwins.twins()).build();
        return keep(LoomstepServer.builder(app).host("127.0.0.1").port(0).start());
    }

    static String seqCall(String runId) {
        ObjectNode event = Json.nodes().objectNode().put("id", "E1").put("name", "peer/seq").put("ts", 1_700_000_000_000L);
        event.putObject("data").put("id", "x1");
        ObjectNode body = Json.nodes().objectNode();
        body.set("event", event);
        body.putArray("events").add(event);
        body.putObject("steps");
        ObjectNode ctx = body.putObject("ctx").put("run_id", runId).put("attempt", 0).put("fn_id", "fn-uuid-1").put("qi_id", "qi-1")
                .put("disable_immediate_execution", false).put("use_api", false);
        ctx.putObject("stack").put("current", 0).putArray("stack");
        body.put("version", 1);
        return body.toString();
    }

    static TestHttp.Reply call(String url, String body) {
        return TestHttp.send("POST", url + "?fnId=peer-seq&stepId=step",
                Map.of("Content-Type", "application/json", "X-Request-Id", "req-1", "X-Inngest-Generation-Id", "2"),
                body.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    static List<JsonNode> checkpoints(RecordingServer api) {
        var out = new ArrayList<JsonNode>();
        for (RecordingServer.Recorded r : api.requests()) {
            if (r.pathAndQuery().startsWith("/v1/checkpoint/")) {
                out.add(parse(r.text()));
            }
        }
        return out;
    }

    static JsonNode parse(String s) {
        try {
            return Json.mapper().readTree(s);
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + s, e);
        }
    }

    @Test
    void stepsAreCheckpointedSignedToTheExecutorsApiAndTheRequestAnswersAtTheSleep() {
        var api = keep(RecordingServer.replying(new RecordingServer.Answer(200, "{}")));
        var server = serve(api, Checkpointing.defaults());
        TestHttp.Reply r = call(server.url(), seqCall(RUN));
        assertEquals(206, r.status(), r.body());
        assertEquals("Sleep", r.json().get(0).get("op").asText());
        assertEquals(1, api.requests().size(), "a and b, quicker than the linger, leave together when the run reaches its sleep");
        for (RecordingServer.Recorded req : api.requests()) {
            assertEquals("POST", req.method());
            assertEquals("/v1/checkpoint/" + RUN + "/async", req.pathAndQuery());
            assertEquals("Bearer " + TestApps.KEY_.bearerToken(), req.header("Authorization"));
            assertEquals("loomstep:v0.1.0", req.header("X-Inngest-Sdk"));
            assertTrue(req.header("Content-Type").startsWith("application/json"));
        }
        JsonNode first = checkpoints(api).get(0);
        assertEquals(RUN, first.get("run_id").asText());
        assertEquals("fn-uuid-1", first.get("fn_id").asText());
        assertEquals("qi-1", first.get("qi_id").asText());
        assertEquals("req-1", first.get("request_id").asText());
        assertEquals(2, first.get("generation_id").asInt());
        assertTrue(first.get("request_started_at").asLong() > 0 && first.get("ts").asLong() >= first.get("request_started_at").asLong());
        assertEquals(StepIds.sha1Hex("a"), first.get("steps").get(0).get("id").asText());
        assertEquals(1, first.get("steps").get(0).get("data").asInt());
        assertEquals(StepIds.sha1Hex("b"), first.get("steps").get(1).get("id").asText());
    }

    @Test
    void checkpointsToACleartextExecutorAreHttp11WithoutAnH2cUpgradeAttempt() {
        // The adapter's default client prefers HTTP/2; over http:// that would mean an h2c upgrade offer per
        // checkpoint, which no executor accepts.
        var api = keep(RecordingServer.replying(new RecordingServer.Answer(200, "{}")));
        call(serve(api, Checkpointing.defaults()).url(), seqCall(RUN));
        assertFalse(api.requests().isEmpty());
        for (RecordingServer.Recorded req : api.requests()) {
            assertNull(req.header("Upgrade"), "Upgrade: " + req.header("Upgrade"));
            assertNull(req.header("HTTP2-Settings"));
        }
    }

    @Test
    void aStaleDispatchAnswers400WithNoRetryAsTheJsSdkDoes() {
        var api = keep(RecordingServer.replying(new RecordingServer.Answer(409, "{}")));
        TestHttp.Reply r = call(serve(api, Checkpointing.defaults()).url(), seqCall(RUN));
        assertEquals(400, r.status(), r.body());
        assertEquals("true", r.header("X-Inngest-No-Retry"));
        assertEquals("StaleDispatchError", r.json().get("name").asText());
        assertEquals("Stale dispatch: checkpoint returned 409 (run " + RUN + ")", r.json().get("message").asText());
        assertEquals(1, api.requests().size(), "a 409 is not retried");
    }

    @Test
    void whenTheCheckpointApiKeepsFailingTheExecutedStepIsAnsweredTheClassicWay() {
        var api = keep(RecordingServer.replying(new RecordingServer.Answer(500, "{\"error\":\"down\"}")));
        TestHttp.Reply r = call(serve(api, Checkpointing.defaults()).url(), seqCall(RUN));
        assertEquals(206, r.status(), r.body());
        assertEquals("StepRun", r.json().get(0).get("op").asText());
        assertEquals(StepIds.sha1Hex("a"), r.json().get(0).get("id").asText());
        assertEquals(CheckpointClient.ATTEMPTS, api.requests().size(), "retried like the JS SDK, then given up");
    }

    @Test
    void afterMaxRuntimeTheRunIsHandedBackToReenterWithANewRequest() {
        var api = keep(RecordingServer.replying(new RecordingServer.Answer(200, "{}")));
        TestHttp.Reply r = call(serve(api, Checkpointing.builder().maxRuntime(Duration.ofNanos(1)).build()).url(), seqCall(RUN));
        assertEquals(206, r.status(), r.body());
        assertEquals("StepPlanned", r.json().get(0).get("op").asText());
        assertEquals(StepIds.sha1Hex("a"), r.json().get(0).get("id").asText());
        assertEquals(0, api.requests().size());
    }

    @Test
    void theJsSdkAndLoomstepSendTheSameCheckpointsAndAnswerAlike() {
        JsPeer.assumeAvailable();
        var api = keep(RecordingServer.replying(new RecordingServer.Answer(200, "{}")));
        JsPeer peer = keep(JsPeer.start(Map.of("INNGEST_API_BASE_URL", api.origin(), "INNGEST_EVENT_API_BASE_URL", api.origin())));
        TestHttp.Reply js = call(peer.baseUrl(), seqCall(RUN));
        List<JsonNode> jsCheckpoints = checkpoints(api);
        api.clear();
        // jsDefaults is JS's one checkpoint per step; the default sends the same steps, fewer checkpoints (below).
        TestHttp.Reply ours = call(serve(api, Checkpointing.jsDefaults()).url(), seqCall(RUN));
        List<JsonNode> ourCheckpoints = checkpoints(api);
        api.clear();
        TestHttp.Reply batched = call(serve(api, Checkpointing.defaults()).url(), seqCall(RUN));
        List<JsonNode> batchedCheckpoints = checkpoints(api);
        assertEquals(essentials(js.json(), false), essentials(batched.json(), false), "the default's answer differs");
        assertEquals(essentials(flatSteps(jsCheckpoints), true), essentials(flatSteps(batchedCheckpoints), true),
                "the default checkpoints the same steps in the same order");
        assertTrue(batchedCheckpoints.size() < jsCheckpoints.size(), "quick steps leave together by default");

        assertEquals(js.status(), ours.status(), js.body() + "\n" + ours.body());
        assertEquals(essentials(js.json(), false), essentials(ours.json(), false), "the answers differ");
        assertEquals(jsCheckpoints.size(), ourCheckpoints.size());
        for (int i = 0; i < jsCheckpoints.size(); i++) {
            JsonNode j = jsCheckpoints.get(i);
            JsonNode o = ourCheckpoints.get(i);
            for (String field : List.of("run_id", "fn_id", "qi_id", "request_id", "generation_id")) {
                assertEquals(j.get(field), o.get(field), field);
            }
            assertTrue(o.get("request_started_at").isIntegralNumber() && o.get("ts").isIntegralNumber());
            assertEquals(essentials(j.get("steps"), true), essentials(o.get("steps"), true), "checkpoint " + i);
        }
    }

    static JsonNode flatSteps(List<JsonNode> checkpoints) {
        var all = Json.nodes().arrayNode();
        checkpoints.forEach(c -> all.addAll((com.fasterxml.jackson.databind.node.ArrayNode) c.get("steps")));
        return all;
    }

    /** The fields an executor reads from each op; JS internals (userland, timing, …) and Loomstep's opts.duration left out. */
    static List<JsonNode> essentials(JsonNode ops, boolean withData) {
        var out = new ArrayList<JsonNode>();
        for (JsonNode op : ops) {
            ObjectNode n = Json.nodes().objectNode();
            for (String f : withData ? List.of("id", "op", "name", "displayName", "data") : List.of("id", "op", "name", "displayName")) {
                if (op.has(f)) {
                    n.set(f, op.get(f));
                }
            }
            out.add(n);
        }
        return out;
    }
}
