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
 * The interop scenarios through the devserver's Connect gateway, run by two workers serving the same
 * {@code conn} app: the official JS SDK 4.24's {@code connect()} worker (the proof that the gateway
 * speaks the real protocol: start request, handshake, executor requests, acks, lease extensions,
 * replies) and Loomstep's {@code LoomstepConnect} (the proof that it speaks it too, to a real gateway).
 * Every scenario runs with the SDK's checkpointing on and off.
 */
class ConnectInteropTest {

    @Nested
    class JsWorkerWithCheckpointing extends Scenarios {
        JsWorkerWithCheckpointing() {
            super(Worker.JS, true);
        }
    }

    @Nested
    class JsWorkerWithoutCheckpointing extends Scenarios {
        JsWorkerWithoutCheckpointing() {
            super(Worker.JS, false);
        }
    }

    @Nested
    class LoomstepWorkerWithCheckpointing extends Scenarios {
        LoomstepWorkerWithCheckpointing() {
            super(Worker.LOOMSTEP, true);
        }
    }

    @Nested
    class LoomstepWorkerWithoutCheckpointing extends Scenarios {
        LoomstepWorkerWithoutCheckpointing() {
            super(Worker.LOOMSTEP, false);
        }
    }

    /** The worker under test, and the SDK string the gateway lists for its connection. */
    enum Worker {
        JS("typescript:v4.24"), LOOMSTEP("java:v");

        final String sdkPrefix;

        Worker(String sdkPrefix) {
            this.sdkPrefix = sdkPrefix;
        }

        AutoCloseable start(JsPeerDevServer js, String instanceId, boolean checkpointing) throws Exception {
            return this == JS
                    ? js.connectWorker(instanceId, Map.of("PEER_CHECKPOINTING", checkpointing ? "on" : "off"))
                    : LoomstepConnectWorker.start(js.dev, instanceId, checkpointing);
        }
    }

    @Timeout(90)
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    abstract static class Scenarios {
        private final Worker kind;
        private final boolean checkpointing;
        JsPeerDevServer js;
        AutoCloseable worker;
        Api api;

        Scenarios(Worker kind, boolean checkpointing) {
            this.kind = kind;
            this.checkpointing = checkpointing;
        }

        @BeforeAll
        void start() throws Exception {
            js = JsPeerDevServer.forConnect(b -> b);
            api = js.api;
            worker = kind.start(js, "worker-1", checkpointing);
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
            assertEquals("worker-1", c.get("instance_id").asText(), c.toString());
            assertTrue(c.get("sdk").asText().startsWith(kind.sdkPrefix), c.toString());
        }

        @Test
        void theWorkerRunsStepsAndASleepThroughTheGateway() {
            JsonNode run = api.awaitStatus(api.runOf(api.send("conn/steps", Map.of("n", 7))), "Completed");

            assertEquals(21, run.get("output").get("sum").asInt(), run.toString());
            assertEquals(List.of("a", "b", "nap"), run.get("steps").findValuesAsText("name"), run.toString());
        }

        @Test
        void theWorkerFansOutInParallel() {
            JsonNode run = api.awaitStatus(api.runOf(api.send("conn/parallel", Map.of())), "Completed");

            assertEquals(6, run.get("output").get("sum").asInt(), run.toString());
            assertEquals(3, run.get("steps").size(), run.toString());
        }

        @Test
        void theWorkerWaitsForAMatchingEvent() {
            String runId = api.runOf(api.send("conn/wait", Map.of("id", 5)));
            Api.await(() -> api.run(runId).get("steps"), s -> s.size() == 1, "the run to wait");
            api.send("conn/approve", Map.of("id", 4));
            api.send("conn/approve", Map.of("id", 5));

            JsonNode run = api.awaitStatus(runId, "Completed");

            assertEquals(5, run.get("output").get("approved").asInt(), run.toString());
        }

        @Test
        void theWorkerInvokesAnotherFunctionOfItsApp() {
            JsonNode run = api.awaitStatus(api.runOf(api.send("conn/invoke", Map.of())), "Completed");

            assertEquals(42, run.get("output").get("result").get("doubled").asInt(), run.toString());
        }

        @Test
        void theWorkersStepErrorsAreRetriedUntilTheStepSucceeds() {
            JsonNode run = api.awaitStatus(api.runOf(api.send("conn/flaky", Map.of())), "Completed");

            assertEquals("fine on attempt 2", run.get("output").get("out").asText(), run.toString());
        }

        @Test
        void theWorkersNonRetriableErrorFailsTheRunAtOnce() {
            JsonNode run = api.awaitStatus(api.runOf(api.send("conn/doomed", Map.of())), "Failed");

            assertTrue(run.toString().contains("no way"), run.toString());
        }
    }
}
