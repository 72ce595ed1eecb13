package dev.loomstep.devserver;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Defer;
import dev.loomstep.Function;
import dev.loomstep.Trigger;
import dev.loomstep.testkit.JsPeer;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The official JS SDK 4.24's {@code defer} on the devserver (testkit/js-peer's {@code defer} app), with the
 * SDK's checkpointing (the {@code DeferAdd} rides on a checkpoint) and without (in a 206 answer): the deferred
 * JS run starts once its parent has ended and reads its parent from the {@code inngest/deferred.schedule}
 * event's {@code _inngest} (so the devserver's event is one the JS SDK accepts); an aborted defer starts
 * nothing. Across SDKs on one devserver: a Loomstep run defers the JS function. (Not the other way: JS 4.24
 * names a defer's target with its own app's id, so a JS run defers only functions of its own app.)
 */
@Timeout(180)
class JsSdkDeferInteropTest {
    record Receipt(String order) {}

    @ParameterizedTest(name = "checkpointing {0}")
    @ValueSource(strings = {"on", "off"})
    void deferredRunsStartAcrossTheJsSdkAndLoomstep(String checkpointing) throws Exception {
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
        var javaOrder = Function.builder("order").trigger(Trigger.event("javadefer/order")).handler(Receipt.class, (in, step) -> {
            step.defer("js-receipt", Defer.function("defer", "receipt").data(new Receipt(in.data().order())));
            return step.run("charge", String.class, () -> "charged");
        });
        try (JsPeer peer = JsPeer.start(env);
             LoomstepDevServer fixture = LoomstepDevServer.builder("javadefer").startOn(
                     DevServer.builder().port(port).inMemory().retryDelayScale(0.01)
                             .sync(peer.baseUrl().replace("/api/inngest", "/api/defer")).start(), List.of(javaOrder))) {
            Api api = fixture.api;
            Api.await(() -> api.get("/v1/functions").toString(), t -> t.contains("defer-receipt") && t.contains("defer-order"),
                    "the JS defer app's sync at start");

            // JS defers JS: the child's handler gets ctx.parents from the event's _inngest.
            String runId = api.runOf(api.send("defer/order", Map.of("order", "js-1")));
            api.awaitEnd(runId, "Completed", Duration.ofSeconds(30), "the JS run that defers");
            JsonNode d = scheduled(api, runId);
            assertEquals("receipt", d.path("id").asText(), d::toString);
            assertEquals("defer-receipt", d.path("function").asText());
            JsonNode child = api.awaitEnd(d.path("run_id").asText(), "Completed", Duration.ofSeconds(30), "the JS deferred run");
            assertEquals("js-1", child.path("output").path("order").asText(), child::toString);
            assertEquals(runId, child.path("output").path("parent").asText(), child::toString);
            assertEquals("defer-order", child.path("output").path("parentFn").asText(), child::toString);

            // JS aborts: nothing starts.
            String abortedId = api.runOf(api.send("defer/aborted", Map.of("order", "js-2")));
            api.awaitEnd(abortedId, "Completed", Duration.ofSeconds(30), "the JS run that aborts its defer");
            JsonNode aborted = Api.await(() -> api.run(abortedId).path("defers"), x -> x.size() == 1
                    && !x.get(0).path("status").asText().equals("after_run"), "the aborted defer");
            assertEquals("aborted", aborted.get(0).path("status").asText(), aborted::toString);

            // Loomstep defers JS.
            String javaRun = api.runOf(api.send("javadefer/order", Map.of("order", "j-1")));
            api.awaitStatus(javaRun, "Completed");
            JsonNode fromJava = api.awaitEnd(scheduled(api, javaRun).path("run_id").asText(), "Completed", Duration.ofSeconds(30),
                    "the JS run a Loomstep run deferred");
            assertEquals(javaRun, fromJava.path("output").path("parent").asText(), fromJava::toString);
            assertEquals("javadefer-order", fromJava.path("output").path("parentFn").asText(), fromJava::toString);
        }
    }

    /** The run's one defer, once it is scheduled and its run exists. */
    private static JsonNode scheduled(Api api, String runId) {
        return Api.await(() -> api.run(runId).path("defers"), d -> d.size() == 1 && d.get(0).path("status").asText().equals("scheduled")
                && d.get(0).path("run_id").isTextual(), "the scheduled defer of run " + runId).get(0);
    }
}
