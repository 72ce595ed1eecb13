package dev.loomstep.devserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * The official JS SDK 4.24's Connect worker ({@code connect()}, no HTTP endpoint) runs the interop
 * scenarios through the devserver's Connect gateway: the proof that the gateway speaks the real
 * protocol (start request, handshake, executor requests, acks, lease extensions, replies). Every
 * scenario runs with the SDK's checkpointing on and off.
 */
class JsSdkConnectInteropTest {

    @Nested
    class WithCheckpointing extends Scenarios {
        WithCheckpointing() {
            super(true);
        }
    }

    @Nested
    class WithoutCheckpointing extends Scenarios {
        WithoutCheckpointing() {
            super(false);
        }
    }

    @Timeout(90)
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    abstract static class Scenarios {
        private final boolean checkpointing;
        JsPeerDevServer js;
        JsConnectWorker worker;
        Api api;

        Scenarios(boolean checkpointing) {
            this.checkpointing = checkpointing;
        }

        @BeforeAll
        void start() throws Exception {
            js = JsPeerDevServer.forConnect(b -> b);
            api = js.api;
            worker = js.connectWorker("js-worker-1", Map.of("PEER_CHECKPOINTING", checkpointing ? "on" : "off"));
        }

        @AfterAll
        void stop() throws Exception {
            if (worker != null) {
                worker.close();
            }
            if (js != null) {
                js.close();
            }
        }

        @Test
        void theWorkersAppIsSyncedAsAConnectAppAndListedWithItsConnection() {
            JsonNode app = Api.await(() -> api.get("/v1/apps").get("data"), d -> d.size() == 1 && d.get(0).get("connections").size() == 1
                    && d.get(0).get("connections").get(0).get("status").asText().equals("READY"), "the conn app with a ready connection").get(0);

            assertEquals("conn", app.get("id").asText());
            assertEquals("connect", app.get("connection_type").asText());
            assertTrue(app.get("url").isNull(), app.toString());
            assertEquals(8, app.get("function_count").asInt(), app.toString());
            JsonNode c = app.get("connections").get(0);
            assertEquals("js-worker-1", c.get("instance_id").asText(), c.toString());
            assertTrue(c.get("sdk").asText().startsWith("typescript:v4.24"), c.toString());
        }

        @Test
        void jsWorkerRunsStepsAndASleepThroughTheGateway() {
            JsonNode run = api.awaitStatus(api.runOf(api.send("conn/steps", Map.of("n", 7))), "Completed");

            assertEquals(21, run.get("output").get("sum").asInt(), run.toString());
            assertEquals(List.of("a", "b", "nap"), run.get("steps").findValuesAsText("name"), run.toString());
        }

        @Test
        void jsWorkerFansOutWithPromiseAll() {
            JsonNode run = api.awaitStatus(api.runOf(api.send("conn/parallel", Map.of())), "Completed");

            assertEquals(6, run.get("output").get("sum").asInt(), run.toString());
            assertEquals(3, run.get("steps").size(), run.toString());
        }

        @Test
        void jsWorkerWaitsForAMatchingEvent() {
            String runId = api.runOf(api.send("conn/wait", Map.of("id", 5)));
            Api.await(() -> api.run(runId).get("steps"), s -> s.size() == 1, "the run to wait");
            api.send("conn/approve", Map.of("id", 4));
            api.send("conn/approve", Map.of("id", 5));

            JsonNode run = api.awaitStatus(runId, "Completed");

            assertEquals(5, run.get("output").get("approved").asInt(), run.toString());
        }

        @Test
        void jsWorkerInvokesAnotherFunctionOfItsApp() {
            JsonNode run = api.awaitStatus(api.runOf(api.send("conn/invoke", Map.of())), "Completed");

            assertEquals(42, run.get("output").get("result").get("doubled").asInt(), run.toString());
        }

        @Test
        void jsWorkersStepErrorsAreRetriedUntilTheStepSucceeds() {
            JsonNode run = api.awaitStatus(api.runOf(api.send("conn/flaky", Map.of())), "Completed");

            assertEquals("fine on attempt 2", run.get("output").get("out").asText(), run.toString());
        }

        @Test
        void jsWorkersNonRetriableErrorFailsTheRunAtOnce() {
            JsonNode run = api.awaitStatus(api.runOf(api.send("conn/doomed", Map.of())), "Failed");

            assertTrue(run.toString().contains("no way"), run.toString());
        }
    }
}
