package dev.loomstep.devserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.testkit.PyPeer;
import dev.loomstep.testkit.Teardown;
import java.net.ServerSocket;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * The official Python SDK's asyncio side (PyPI inngest 0.5.19: {@code async def} functions, awaited steps,
 * served by FastAPI under uvicorn — {@code testkit/py-peer/async_server.py}, app {@code py-async}) on the
 * devserver: async steps, a repeated step id, sleep and sleep_until, wait_for_event, invoke, group.parallel,
 * retries, a caught {@code StepError}, a {@code NonRetriableError} and send_event, each run's steps and output
 * checked. Every scenario runs twice: with the SDK answering as usual, and streaming every answer
 * ({@code INNGEST_STREAMING=force}: 201, keepalive spaces, then a JSON envelope holding the real status,
 * headers and body). Fails with one line saying why when the peer cannot start under
 * {@code -Dloomstep.requirePeer=true} (as {@code ./loom test} sets), else skips.
 */
class PySdkAsyncInteropTest {

    @Nested
    class Answering extends Scenarios {
        Answering() {
            super(false);
        }
    }

    @Nested
    class Streaming extends Scenarios {
        Streaming() {
            super(true);
        }
    }

    @Timeout(60)
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    abstract static class Scenarios {
        private final boolean streaming;
        PyPeer peer;
        DevServer dev;
        Api api;

        Scenarios(boolean streaming) {
            this.streaming = streaming;
        }

        @BeforeAll
        void start() throws Exception {
            int port;
            try (var s = new ServerSocket(0)) {
                port = s.getLocalPort();
            }
            String origin = "http://127.0.0.1:" + port;
            var env = new HashMap<>(Map.of("INNGEST_API_BASE_URL", origin, "INNGEST_EVENT_API_BASE_URL", origin));
            env.put("INNGEST_STREAMING", streaming ? "force" : "disable");
            peer = PyPeer.startAsync(env);
            dev = DevServer.builder().port(port).inMemory().retryDelayScale(0.001).sync(peer.baseUrl()).start();
            api = new Api(dev);
            try {
                Api.await(() -> api.get("/v1/functions").get("data"), d -> d.size() == 11, "the async Python functions to be synced by -u");
            } catch (AssertionError e) {
                throw new AssertionError(e.getMessage() + "; the async Python peer's output:\n" + peer.recentOutput(), e);
            }
        }

        @AfterAll
        void stop() {
            Teardown.closeAll(dev, peer);
        }

        private JsonNode completed(String event, Map<String, Object> data) {
            String runId = api.runOf(api.send(event, data));
            try {
                return api.awaitStatus(runId, "Completed");
            } catch (AssertionError e) {
                throw new AssertionError(e.getMessage() + "; the async Python peer's output:\n" + peer.recentOutput(), e);
            }
        }

        private static List<String> names(JsonNode run) {
            return run.get("steps").findValuesAsText("name");
        }

        @Test
        void asyncPythonAppIsSyncedAsFastApi() {
            JsonNode app = api.get("/v1/apps").get("data").get(0);

            assertEquals("py-async", app.get("id").asText(), app.toString());
            assertEquals("py:v0.5.19", app.get("sdk").asText(), app.toString());
            assertEquals("fast_api", app.get("framework").asText(), app.toString());
        }

        @Test
        void asyncPythonSdkRunsAwaitedStepsASleepAndARepeatedStepId() {
            JsonNode run = completed("pya/seq", Map.of());

            assertEquals(6, run.get("output").get("sum").asInt(), run.toString());
            JsonNode steps = run.get("steps");
            assertEquals(List.of("a", "b", "nap", "a"), names(run), steps.toString());
            assertEquals(List.of("StepRun", "StepRun", "Sleep", "StepRun"), steps.findValuesAsText("op"), steps.toString());
            assertEquals(3, steps.get(3).get("output").asInt(), "the repeat of step a ran as a:1: " + steps);
            assertTrue(steps.get(2).get("duration_ms").asLong() >= 900, "the sleep lasted its second: " + steps.get(2));
        }

        @Test
        void asyncPythonSdkSleepsUntilATime() {
            Instant until = Instant.now().plusMillis(1500);
            JsonNode run = completed("pya/sleep-until", Map.of("until", until.toString()));

            assertTrue(run.get("output").get("woke").asBoolean(), run.toString());
            assertEquals(List.of("wake", "after"), names(run), run.toString());
            assertEquals("Sleep", run.get("steps").get(0).get("op").asText(), run.toString());
            assertFalse(Instant.parse(run.get("steps").get(1).get("started_at").asText()).isBefore(until.minusMillis(1000)),
                    "woke at " + until + " (sleep_until sends whole seconds): " + run.get("steps"));
        }

        @Test
        void asyncPythonSdkRunsAGroupOfParallelStepsThenGoesOn() {
            JsonNode run = completed("pya/parallel", Map.of());

            assertEquals(60, run.get("output").get("sum").asInt(), run.toString());
            assertEquals(List.of(10, 20, 30), ints(run.get("output").get("parts")), run.toString());
            List<String> names = names(run);
            assertEquals(List.of("part-1", "part-2", "part-3"), names.subList(0, 3).stream().sorted().toList(), run.toString());
            assertEquals("after", names.get(3), "the step after the group runs last: " + run);
        }

        @Test
        void asyncPythonSdkWaitsForAMatchingEventOrTimesOut() {
            String runId = api.runOf(api.send("pya/wait", Map.of("id", 5)));
            Api.await(() -> api.run(runId).get("steps"), s -> s.size() == 1, "the async Python run to wait");
            api.send("pya/approve", Map.of("id", 4));
            String approval = api.send("pya/approve", Map.of("id", 5));

            JsonNode run = api.awaitStatus(runId, "Completed");
            JsonNode quick = completed("pya/wait-quick", Map.of());

            assertEquals(approval, run.get("output").get("got").get("id").asText(), run.toString());
            assertEquals(5, run.get("output").get("got").get("data").get("id").asInt(), run.toString());
            assertEquals("WaitForEvent", run.get("steps").get(0).get("op").asText(), run.toString());
            assertTrue(quick.get("output").get("got").isNull(), "a timed-out wait gives None: " + quick);
        }

        @Test
        void asyncPythonSdkInvokesAnAsyncFunctionAndGetsItsOutput() {
            JsonNode run = completed("pya/invoke", Map.of());

            assertEquals(42, run.get("output").get("result").get("doubled").asInt(), run.toString());
            assertEquals("InvokeFunction", run.get("steps").get(0).get("op").asText(), run.toString());
            assertEquals(List.of("call"), names(run), run.toString());
            JsonNode child = Api.await(() -> api.get("/v1/runs?function=py-async-child&status=Completed").get("data"),
                    d -> d.size() == 1, "the async child run").get(0);
            assertEquals(42, child.get("output").get("doubled").asInt(), child.toString());
        }

        @Test
        void asyncPythonSdkRetriesAStepUntilItSucceeds() {
            JsonNode run = completed("pya/flaky", Map.of());

            assertEquals("fine on attempt 2", run.get("output").get("out").asText(), run.toString());
            assertEquals(3, run.get("steps").get(0).get("attempts").asInt(), run.toString());
        }

        @Test
        void asyncPythonSdkCatchesAFailedStepsErrorAndGoesOn() {
            JsonNode run = completed("pya/catches", Map.of());

            assertTrue(run.get("output").get("caught").asBoolean(), run.toString());
            assertEquals("kaput", run.get("output").get("message").asText(), run.toString());
            assertEquals("recovered", run.get("output").get("after").asText(), run.toString());
            assertEquals(List.of("failed", "completed"), run.get("steps").findValuesAsText("status"), run.toString());
            assertEquals(2, run.get("steps").get(0).get("attempts").asInt(), "retries=1 means two attempts: " + run);
        }

        @Test
        void asyncPythonSdkNonRetriableFunctionErrorFailsTheRunAtOnce() {
            JsonNode run = api.awaitStatus(api.runOf(api.send("pya/fn-nonretriable", Map.of())), "Failed");

            assertEquals("function no way", run.get("error").get("message").asText(), run.toString());
            assertEquals("NonRetriableError", run.get("error").get("name").asText(), run.toString());
            assertEquals(List.of("fine"), names(run), run.toString());
            assertTrue(run.get("attempt_errors").findValues("retry_at").stream().allMatch(JsonNode::isNull),
                    "retries=2, but no retry was scheduled: " + run);
        }

        @Test
        void asyncPythonSdkSendsEventsThroughTheEventApi() {
            JsonNode run = completed("pya/send", Map.of());

            JsonNode ids = run.get("output").get("ids");
            assertEquals(2, ids.size(), run.toString());
            JsonNode sent = api.get("/v1/events/" + ids.get(1).asText()).get("data");
            assertEquals("pya/sent", sent.get("name").asText(), sent.toString());
            assertEquals(2, sent.get("data").get("n").asInt(), sent.toString());
        }

        private static List<Integer> ints(JsonNode array) {
            var out = new ArrayList<Integer>();
            array.forEach(n -> out.add(n.asInt()));
            return out;
        }
    }
}
