package dev.loomstep.devserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * The devserver drives the official Inngest Python SDK (PyPI inngest 0.5.19 on Flask, {@code testkit/py-peer})
 * as the Inngest dev server would: synced with {@code -u}, events through {@code /e/{key}}, every op the SDK
 * sends, and the options it syncs in its own spelling (batching, a rate limit, cancel, on_failure). The
 * Python SDK has no checkpointing: one call per step. Skipped (with the reason) only when python3
 * or the peer's virtual environment is missing ({@link PyPeer#start} fails instead under
 * {@code -Dloomstep.requirePeer=true}, as {@code ./loom test} sets). Where the SDK and the devserver
 * differed, and how it was settled: devserver/README.md, "The official Python SDK".
 */
@Timeout(60)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PySdkInteropTest {
    PyPeer peer;
    DevServer dev;
    Api api;

    @BeforeAll
    void start() throws Exception {
        int port;
        try (var s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        String origin = "http://127.0.0.1:" + port;
        peer = PyPeer.start(Map.of("INNGEST_API_BASE_URL", origin, "INNGEST_EVENT_API_BASE_URL", origin));
        dev = DevServer.builder().port(port).inMemory().retryDelayScale(0.001).sync(peer.baseUrl()).start();
        api = new Api(dev);
        try {
            Api.await(() -> api.get("/v1/functions").get("data"), d -> d.size() == 22, "the Python functions to be synced by -u");
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; the Python peer's output:\n" + peer.recentOutput(), e);
        }
    }

    @AfterAll
    void stop() {
        Teardown.closeAll(dev, peer);
    }

    @Test
    void pythonSdkAppIsSyncedUnderItsNameWithItsSdkAndFramework() {
        JsonNode apps = api.get("/v1/apps").get("data");

        assertEquals(1, apps.size(), apps.toString());
        JsonNode app = apps.get(0);
        assertEquals("py", app.get("id").asText(), "the app name the SDK sends as \"appname\": " + app);
        assertEquals("py:v0.5.19", app.get("sdk").asText(), app.toString());
        assertEquals("flask", app.get("framework").asText(), app.toString());
        assertEquals("synced", app.get("sync_status").asText(), app.toString());
        assertEquals(peer.baseUrl(), app.get("url").asText(), app.toString());
    }

    private JsonNode completed(String event) {
        return api.awaitStatus(api.runOf(api.send(event, Map.of())), "Completed");
    }

    @Test
    void pythonSdkRunsStepsASleepAndARepeatedStepId() {
        JsonNode run = completed("py/seq");

        assertEquals(6, run.get("output").get("sum").asInt(), run.toString());
        JsonNode steps = run.get("steps");
        assertEquals(List.of("a", "b", "nap", "a"), steps.findValuesAsText("name"), steps.toString());
        assertEquals(List.of("StepRun", "StepRun", "Sleep", "StepRun"), steps.findValuesAsText("op"), steps.toString());
        assertEquals(List.of("completed", "completed", "completed", "completed"), steps.findValuesAsText("status"));
        assertEquals(List.of(1, 2, 3), List.of(steps.get(0).get("output").asInt(), steps.get(1).get("output").asInt(),
                steps.get(3).get("output").asInt()), "the repeat of step a ran as a:1: " + steps);
        assertTrue(steps.get(2).get("duration_ms").asLong() >= 900, "the sleep lasted its second: " + steps.get(2));
    }

    @Test
    void pythonSdkRunsAGroupOfParallelStepsThenGoesOn() {
        JsonNode run = completed("py/parallel");

        assertEquals(60, run.get("output").get("sum").asInt(), run.toString());
        assertEquals(List.of(10, 20, 30), ints(run.get("output").get("parts")), run.toString());
        JsonNode steps = run.get("steps");
        assertEquals(List.of("part-1", "part-2", "part-3", "after"), sortedParts(steps.findValuesAsText("name")), steps.toString());
        assertTrue(steps.findValuesAsText("op").stream().allMatch("StepRun"::equals), steps.toString());
        assertEquals("after", steps.get(3).get("name").asText(), "the step after the group runs last: " + steps);
    }

    @Test
    void pythonSdkRaceModeLetsEachParallelBranchGoOnAlone() {
        JsonNode run = completed("py/parallel-race");

        assertEquals("[\"a1\"]", run.get("output").get("a").toString(), run.toString());
        assertEquals("[\"b1\",\"b2\"]", run.get("output").get("b").toString(), run.toString());
        Map<String, JsonNode> steps = byName(run);
        assertEquals(Set.of("a1", "b1", "b2"), steps.keySet(), run.toString());
        // In wait mode b2 would be planned only once the slow a1 (two seconds) had ended.
        assertTrue(at(steps.get("b2"), "ended_at").isBefore(at(steps.get("a1"), "ended_at")),
                "branch b went on while branch a's step ran: " + run.get("steps"));
    }

    @Test
    void pythonSdkParallelGroupInWaitModeGoesOnOnlyOnceItsSleepHasEnded() {
        JsonNode run = completed("py/parallel-pause");

        assertEquals("{\"a\":[\"a1\",\"a2\"],\"b\":\"b\"}", run.get("output").toString(), run.toString());
        Map<String, JsonNode> steps = byName(run);
        assertEquals(Set.of("a1", "a2", "b-nap"), steps.keySet(), run.toString());
        // As on the Inngest server: a1 and the sleep were planned in one answer, so a2 waits for both.
        assertTrue(!at(steps.get("a2"), "started_at").isBefore(at(steps.get("b-nap"), "ended_at")),
                "a2 started after the sleep ended: " + run.get("steps"));
    }

    @Test
    void pythonSdkWaitsForAMatchingEvent() {
        String runId = api.runOf(api.send("py/wait", Map.of("id", 5)));
        Api.await(() -> api.run(runId).get("steps"), s -> s.size() == 1, "the Python run to wait");
        api.send("py/approve", Map.of("id", 4));
        String approval = api.send("py/approve", Map.of("id", 5));

        JsonNode run = api.awaitStatus(runId, "Completed");

        JsonNode got = run.get("output").get("got");
        assertEquals(approval, got.get("id").asText(), run.toString());
        assertEquals("py/approve", got.get("name").asText());
        assertEquals(5, got.get("data").get("id").asInt());
        assertEquals("WaitForEvent", run.get("steps").get(0).get("op").asText(), run.toString());
        assertEquals("w", run.get("steps").get(0).get("name").asText());
    }

    @Test
    void pythonSdkWaitForEventTimesOutWithNone() {
        JsonNode run = completed("py/wait-quick");

        assertTrue(run.get("output").has("got"), run.toString());
        assertTrue(run.get("output").get("got").isNull(), "a timed-out wait gives the function None: " + run);
        assertEquals("WaitForEvent", run.get("steps").get(0).get("op").asText());
    }

    @Test
    void pythonSdkInvokesAnotherFunctionAndGetsItsOutput() {
        JsonNode run = completed("py/invoke");

        assertEquals(42, run.get("output").get("result").get("doubled").asInt(), run.toString());
        JsonNode step = run.get("steps").get(0);
        assertEquals("InvokeFunction", step.get("op").asText(), run.toString());
        assertEquals(42, step.get("output").get("doubled").asInt(), step.toString());
        JsonNode child = Api.await(() -> api.get("/v1/runs?function=py-child").get("data"), d -> d.size() == 1, "the child run").get(0);
        assertEquals("Completed", child.get("status").asText(), child.toString());
    }

    @Test
    void pythonSdkParentCatchesTheErrorOfAFailingInvokedChild() {
        JsonNode parent = completed("py/catching-parent");
        JsonNode child = Api.await(() -> api.get("/v1/runs?function=py-failing-child").get("data"), d -> d.size() == 1,
                "the Python child run").get(0);

        assertEquals("Failed", child.get("status").asText(), child.toString());
        JsonNode out = parent.get("output");
        assertTrue(out.path("caught").asBoolean(), parent.toString());
        assertEquals("no stock", out.get("message").asText(), parent.toString());
        assertEquals("NonRetriableError", out.get("name").asText(), parent.toString());
        assertEquals("failed", parent.get("steps").get(0).get("status").asText(), parent.toString());
    }

    @Test
    void pythonSdkStepIsRetriedUntilItSucceeds() {
        JsonNode run = completed("py/flaky");

        assertEquals("fine on attempt 2", run.get("output").get("out").asText(), run.toString());
        assertEquals(3, run.get("steps").get(0).get("attempts").asInt(), run.toString());
        assertEquals("completed", run.get("steps").get(0).get("status").asText());
    }

    @Test
    void pythonSdkStepErrorsAreRetriedThenFailTheRun() {
        JsonNode run = api.awaitStatus(api.runOf(api.send("py/throws", Map.of())), "Failed");

        assertEquals("kaput", run.get("error").get("message").asText(), run.toString());
        assertEquals("RuntimeError", run.get("error").get("name").asText(), run.toString());
        assertEquals(3, run.get("steps").get(0).get("attempts").asInt(), "retries=2 means three attempts: " + run);
        assertEquals("failed", run.get("steps").get(0).get("status").asText());
    }

    @Test
    void pythonSdkNonRetriableStepErrorFailsTheRunAtTheFirstAttempt() {
        JsonNode run = api.awaitStatus(api.runOf(api.send("py/throws-nonretriable", Map.of())), "Failed");

        assertEquals("no way", run.get("error").get("message").asText(), run.toString());
        assertEquals("NonRetriableError", run.get("error").get("name").asText(), run.toString());
        // The SDK lets a NonRetriableError out of step.run as the function's own error: no step is reported.
        assertEquals(0, run.get("steps").size(), run.toString());
        assertTrue(run.get("attempt_errors").findValues("retry_at").stream().allMatch(JsonNode::isNull),
                "retries=2, but no retry was scheduled: " + run);
    }

    @Test
    void pythonSdkCatchesAMemoizedStepErrorAndGoesOn() {
        JsonNode run = completed("py/catches");

        assertTrue(run.get("output").get("caught").asBoolean(), run.toString());
        assertEquals("kaput", run.get("output").get("message").asText(), run.toString());
        assertEquals("recovered", run.get("output").get("after").asText());
        assertEquals(List.of("failed", "completed"), run.get("steps").findValuesAsText("status"), run.toString());
        assertEquals(2, run.get("steps").get(0).get("attempts").asInt(), "retries=1 means two attempts: " + run);
    }

    @Test
    void pythonSdkFunctionErrorsAreRetriedOrFailAtOnce() {
        String retried = api.runOf(api.send("py/fn-throws", Map.of()));
        String final_ = api.runOf(api.send("py/fn-nonretriable", Map.of()));

        JsonNode r = api.awaitStatus(retried, "Failed");
        JsonNode f = api.awaitStatus(final_, "Failed");
        assertEquals("function kaput", r.get("error").get("message").asText(), r.toString());
        assertEquals("function no way", f.get("error").get("message").asText(), f.toString());
        assertEquals("NonRetriableError", f.get("error").get("name").asText(), f.toString());
        assertEquals(List.of("fine"), r.get("steps").findValuesAsText("name"), "the step ran once, memoized after: " + r);
        assertEquals(2, r.get("attempt_errors").size(), "retries=1 means two attempts: " + r);
        assertTrue(f.get("attempt_errors").findValues("retry_at").stream().allMatch(JsonNode::isNull), f.toString());
    }

    @Test
    void pythonSdkSendsEventsThroughTheEventApi() {
        JsonNode run = completed("py/send");

        JsonNode ids = run.get("output").get("ids");
        assertEquals(2, ids.size(), run.toString());
        JsonNode sent = api.get("/v1/events/" + ids.get(1).asText()).get("data");
        assertEquals("py/sent", sent.get("name").asText(), sent.toString());
        assertEquals(2, sent.get("data").get("n").asInt(), sent.toString());
        // The SDK sends events from inside a step.run of its own, so the step is a StepRun named by its id.
        JsonNode step = run.get("steps").get(0);
        assertEquals(List.of("two", "StepRun"), List.of(step.get("name").asText(), step.get("op").asText()), run.toString());
        assertEquals(ids, step.get("output"), run.toString());
    }

    @Test
    void pythonSdkBatchRunsAFullBatchOfItsKeyAtOnceAndAPartialOneAtItsTimeout() {
        String first = api.send("py/batched", Map.of("user", "ada", "n", 1));
        String lone = api.send("py/batched", Map.of("user", "bob", "n", 2));
        api.send("py/batched", Map.of("user", "ada", "n", 3));
        api.send("py/batched", Map.of("user", "ada", "n", 4));

        JsonNode full = api.awaitStatus(api.runOf(first), "Completed");
        JsonNode partial = api.awaitStatus(api.runOf(lone), "Completed");

        assertEquals(List.of(1, 3, 4), ints(full.get("output").get("ns")), "ctx.events, in order, without bob's: " + full);
        assertEquals(3, full.get("output").get("size").asInt(), full.toString());
        assertEquals(List.of("collect"), full.get("steps").findValuesAsText("name"), full.toString());
        assertEquals(List.of(2), ints(partial.get("output").get("ns")), partial.toString());
        long waited = java.time.Duration.between(Instant.parse(full.get("run_started_at").asText()),
                Instant.parse(partial.get("run_started_at").asText())).toMillis();
        assertTrue(waited >= 1500, "bob's batch of one waited for its 2 s timeout; it started " + waited + " ms after ada's");
    }

    @Test
    void pythonSdkRateLimitDropsTheEventsOverTheLimitOfTheirKey() {
        String first = api.send("py/rate-limited", Map.of("user", "ada", "n", 1));
        String over = api.send("py/rate-limited", Map.of("user", "ada", "n", 2));
        String otherKey = api.send("py/rate-limited", Map.of("user", "bob", "n", 3));

        assertEquals(1, api.awaitStatus(api.runOf(first), "Completed").get("output").get("n").asInt());
        assertEquals(3, api.awaitStatus(api.runOf(otherKey), "Completed").get("output").get("n").asInt(), "bob has his own limit");
        assertEquals(0, api.get("/v1/events/" + over + "/runs").get("data").size(), "ada's second event within the minute: no run");
    }

    @Test
    void pythonSdkCancelEventCancelsOnlyTheRunItMatches() {
        String one = api.runOf(api.send("py/cancellable", Map.of("id", 1)));
        String two = api.runOf(api.send("py/cancellable", Map.of("id", 2)));
        for (String runId : List.of(one, two)) {
            Api.await(() -> api.run(runId).get("steps"), s -> s.size() == 1, "Python run " + runId + " to sleep");
        }

        String cancel = api.send("py/cancel", Map.of("id", 1));

        JsonNode cancelled = api.awaitStatus(one, "Cancelled");
        assertTrue(cancelled.get("error").get("message").asText().contains(cancel), cancelled.toString());
        assertEquals(List.of("long"), cancelled.get("steps").findValuesAsText("name"), cancelled.toString());
        assertEquals("Running", api.run(two).get("status").asText(), "a cancel event for id 1 leaves id 2 alone");
        api.request("DELETE", "/v1/runs/" + two, null);
    }

    @Test
    void pythonSdkOnFailureHandlerRunsAsItsOwnFunctionWhenTheRunFails() {
        JsonNode run = api.awaitStatus(api.runOf(api.send("py/doomed", Map.of())), "Failed");
        JsonNode handler = Api.await(() -> api.get("/v1/runs?function=py-doomed-failure&status=Completed").get("data"),
                d -> d.size() == 1, "the Python on_failure handler's run").get(0);

        assertEquals(2, run.get("steps").get(0).get("attempts").asInt(), "retries=1 means two attempts: " + run);
        assertEquals("kaput", handler.get("output").get("handled").asText(), handler.toString());
        assertEquals("py-doomed", handler.get("output").get("failed").asText(), handler.toString());
    }

    private static Map<String, JsonNode> byName(JsonNode run) {
        Map<String, JsonNode> steps = new HashMap<>();
        run.get("steps").forEach(s -> steps.put(s.get("name").asText(), s));
        return steps;
    }

    private static Instant at(JsonNode step, String field) {
        return Instant.parse(step.get(field).asText());
    }

    private static List<Integer> ints(JsonNode array) {
        var out = new ArrayList<Integer>();
        array.forEach(n -> out.add(n.asInt()));
        return out;
    }

    /** The parallel steps' names sorted (the SDK reports them in one response, in no promised order), then the rest. */
    private static List<String> sortedParts(List<String> names) {
        var parts = names.stream().filter(n -> n.startsWith("part-")).sorted().toList();
        var rest = names.stream().filter(n -> !n.startsWith("part-")).toList();
        return java.util.stream.Stream.concat(parts.stream(), rest.stream()).toList();
    }
}
