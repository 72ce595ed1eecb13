package dev.loomstep.devserver;

import static dev.loomstep.devserver.FakeSdk.done;
import static dev.loomstep.devserver.FakeSdk.fail;
import static dev.loomstep.devserver.FakeSdk.hash;
import static dev.loomstep.devserver.FakeSdk.invoke;
import static dev.loomstep.devserver.FakeSdk.ops;
import static dev.loomstep.devserver.FakeSdk.planned;
import static dev.loomstep.devserver.FakeSdk.raw;
import static dev.loomstep.devserver.FakeSdk.sleepJs;
import static dev.loomstep.devserver.FakeSdk.sleepSpec;
import static dev.loomstep.devserver.FakeSdk.stepError;
import static dev.loomstep.devserver.FakeSdk.stepFailed;
import static dev.loomstep.devserver.FakeSdk.stepRun;
import static dev.loomstep.devserver.FakeSdk.waitFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.flow.CancelOn;
import dev.loomstep.protocol.Json;
import dev.loomstep.protocol.WireOp;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The executor end to end: a real devserver on loopback drives a scripted SDK endpoint over real HTTP
 * through every kind of answer the protocol has.
 */
@Timeout(30)
class ExecutorEndToEndTest extends ScriptedDevServerTest {
    @Test
    void runsSequentialStepsOneCallAtATimeAndCompletesWithTheReturnValue() throws Exception {
        sdk.fn("seq").on("test/seq").handler(c -> {
            if (!c.has("a")) {
                return ops(stepRun("a", 1));
            }
            if (!c.has("b")) {
                return ops(stepRun("b", c.data("a").asInt() + 1));
            }
            return done(Map.of("sum", c.data("a").asInt() + c.data("b").asInt(), "user", c.event().path("data").path("user").asText()));
        });
        sdk.sync(dev);

        String runId = api.runOf(api.send("test/seq", Map.of("user", "ada")));
        JsonNode run = api.awaitStatus(runId, "Completed");

        assertEquals(3, run.get("output").get("sum").asInt());
        assertEquals("ada", run.get("output").get("user").asText());
        JsonNode steps = run.get("steps");
        assertEquals(2, steps.size());
        assertEquals("a", steps.get(0).get("name").asText());
        assertEquals("StepRun", steps.get(0).get("op").asText());
        assertEquals(1, steps.get(0).get("output").asInt());
        assertEquals(2, steps.get(1).get("output").asInt());
        assertEquals(1, steps.get(1).get("attempts").asInt());
        assertTrue(run.get("run_started_at").isTextual() && run.get("ended_at").isTextual());
        var calls = sdk.calls("seq");
        assertEquals(3, calls.size());
        assertEquals(List.of(hash("a"), hash("b")), calls.get(2).stack(), "memoized steps travel in stack order");
        assertEquals("dev", calls.get(0).headers().get("x-inngest-server-kind"));
        assertEquals(runId, calls.get(0).runId());
        assertTrue(sdk.violations().isEmpty(), sdk.violations().toString());
    }

    @Test
    void fansOutAHundredPlannedStepsConcurrentlyThenContinuesWithOneDiscovery() throws Exception {
        int n = 100;
        var tenInFlight = new CountDownLatch(10);
        sdk.fn("fan").on("test/fan").handler(c -> {
            if (c.discovery()) {
                var missing = new java.util.ArrayList<WireOp>();
                int sum = 0;
                for (int i = 0; i < n; i++) {
                    if (c.has("s" + i)) {
                        sum += c.data("s" + i).asInt();
                    } else {
                        missing.add(planned("s" + i));
                    }
                }
                return missing.isEmpty() ? done(sum) : ops(missing.toArray(WireOp[]::new));
            }
            tenInFlight.countDown();
            tenInFlight.await(10, TimeUnit.SECONDS); // holds the first calls until ten run at once
            for (int i = 0; i < n; i++) {
                if (c.targets("s" + i)) {
                    return ops(stepRun("s" + i, i));
                }
            }
            return ops(new WireOp(c.stepId(), "StepNotFound", null, null, null, null, null));
        });
        sdk.sync(dev);

        String runId = api.runOf(api.send("test/fan", Map.of()));
        JsonNode run = api.awaitStatus(runId, "Completed");

        assertEquals(n * (n - 1) / 2, run.get("output").asInt());
        assertEquals(0, tenInFlight.getCount(), "targeted calls of planned steps run concurrently");
        assertTrue(sdk.maxTargetedInFlight() >= 10);
        assertEquals(n, run.get("steps").size());
        var discoveries = sdk.calls("fan").stream().filter(FakeSdk.Call::discovery).toList();
        assertEquals(2, discoveries.size(), "one discovery plans the fan-out, one continues after every branch is done");
        assertTrue(discoveries.get(1).disableImmediate(), "after parallel work, immediate execution is disabled");
        assertEquals(n, discoveries.get(1).stack().size());
        assertTrue(sdk.violations().isEmpty(), sdk.violations().toString());
    }

    @Test
    void sleepsDurablyInEitherWireShapeThenContinuesWithNull() throws Exception {
        long start = System.currentTimeMillis();
        String until = Instant.ofEpochMilli(start).plusMillis(300).toString();
        sdk.fn("nap").on("test/nap").handler(c -> {
            if (!c.has("short")) {
                return ops(sleepJs("short", "200ms"));
            }
            if (!c.has("until")) {
                return ops(sleepSpec("until", until));
            }
            return done(c.memo("short").isNull() && c.memo("until").isNull());
        });
        sdk.sync(dev);

        String runId = api.runOf(api.send("test/nap", Map.of()));
        JsonNode run = api.awaitStatus(runId, "Completed");

        assertTrue(run.get("output").asBoolean(), "a sleep is memoized as null");
        assertTrue(System.currentTimeMillis() - start >= 300, "the run did not continue before the sleep ended");
        assertEquals("Sleep", run.get("steps").get(0).get("op").asText());
        assertEquals("completed", run.get("steps").get(0).get("status").asText());
    }

    @Test
    void resumesAWaitForEventWithTheFirstMatchingEventOnly() throws Exception {
        sdk.fn("approve").on("test/order").handler(c -> {
            if (!c.has("wait")) {
                return ops(waitFor("wait", "test/approved", "1m", "event.data.order == async.data.order"));
            }
            return done(c.memo("wait"));
        });
        sdk.sync(dev);
        String runId = api.runOf(api.send("test/order", Map.of("order", 7)));
        Api.await(() -> api.run(runId).get("steps"), s -> s.size() == 1 && "waiting".equals(s.get(0).get("status").asText()),
                "the run to wait");

        api.send("test/approved", Map.of("order", 8));
        String matching = api.send("test/approved", Map.of("order", 7, "by", "bob"));
        api.send("test/approved", Map.of("order", 7, "by", "eve"));
        JsonNode run = api.awaitStatus(runId, "Completed");

        JsonNode event = run.get("output");
        assertEquals(matching, event.get("id").asText(), "resumed with the whole event, not wrapped");
        assertEquals("test/approved", event.get("name").asText());
        assertEquals("bob", event.get("data").get("by").asText());
    }

    @Test
    void resumesAWaitForEventWithTheLegacyMatchFieldOnlyForAnEventWithTheSameValue() throws Exception {
        // The spec's shape with the legacy `match` and no `if`: "data.order" means event.data.order == async.data.order.
        var opts = Json.nodes().objectNode().put("event", "test/approved").put("timeout", "1m").put("match", "data.order");
        var waitMatch = new WireOp(hash("wait"), "WaitForEvent", "wait", "wait", opts, null, null);
        sdk.fn("approve").on("test/order").handler(c -> c.has("wait") ? done(c.memo("wait")) : ops(waitMatch));
        sdk.sync(dev);
        String runId = api.runOf(api.send("test/order", Map.of("order", 7)));
        Api.await(() -> api.run(runId).get("steps"), s -> s.size() == 1 && "waiting".equals(s.get(0).get("status").asText()),
                "the run to wait");

        api.send("test/approved", Map.of("order", 8));
        api.send("test/approved", Map.of("other", 7));
        api.send("test/other", Map.of("order", 7));
        assertEquals("Running", api.run(runId).get("status").asText(), "events act before /e answers; none of those matched");
        String matching = api.send("test/approved", Map.of("order", 7));
        JsonNode run = api.awaitStatus(runId, "Completed");

        assertEquals(matching, run.get("output").get("id").asText(), run.toString());
        assertEquals(7, run.get("output").get("data").get("order").asInt());
    }

    @Test
    void resumesAWaitForEventWithNullWhenItTimesOut() throws Exception {
        sdk.fn("wait").on("test/wait").handler(c -> {
            if (!c.has("wait")) {
                return ops(waitFor("wait", "test/never", "200ms", null));
            }
            return done(c.memo("wait").isNull() ? "timed out" : "got it");
        });
        sdk.sync(dev);

        JsonNode run = api.awaitStatus(api.runOf(api.send("test/wait", Map.of())), "Completed");

        assertEquals("timed out", run.get("output").asText());
    }

    @Test
    void invokesAnotherFunctionAndResumesWithItsResultOrError() throws Exception {
        sdk.fn("child").handler(c -> {
            int v = c.event().path("data").path("v").asInt();
            return v < 0 ? fail(400, "NonRetriableError", "negative", true) : done(v * 2);
        });
        sdk.fn("parent").on("test/parent").handler(c -> {
            if (!c.has("call-child")) {
                return ops(invoke("call-child", "app-child", Map.of("v", 21), "1m"));
            }
            if (!c.has("call-bad")) {
                return ops(invoke("call-bad", "app-child", Map.of("v", -1), null));
            }
            return done(Map.of("ok", c.data("call-child"), "error", c.memo("call-bad").path("error").path("message")));
        });
        sdk.sync(dev);

        String parentId = api.runOf(api.send("test/parent", Map.of()));
        JsonNode parent = api.awaitStatus(parentId, "Completed");

        assertEquals(42, parent.get("output").get("ok").asInt());
        assertEquals("negative", parent.get("output").get("error").asText());
        var childCall = sdk.calls("child").get(0);
        assertEquals("inngest/function.invoked", childCall.event().get("name").asText());
        assertEquals(21, childCall.event().path("data").path("v").asInt());
        JsonNode childRuns = api.get("/v1/runs?function=app-child").get("data");
        assertEquals(2, childRuns.size());
        assertEquals(parentId, childRuns.get(0).get("parent_run_id").asText());
    }

    @Test
    void retriesAFailingStepWithTargetedCallsUntilItSucceeds() throws Exception {
        sdk.fn("flaky").on("test/flaky").handler(c -> {
            if (!c.has("a")) {
                return c.attempt() < 2 ? ops(stepError("a", "boom " + c.attempt())) : ops(stepRun("a", "fine"));
            }
            return done(c.data("a"));
        });
        sdk.sync(dev);

        JsonNode run = api.awaitStatus(api.runOf(api.send("test/flaky", Map.of())), "Completed");

        assertEquals("fine", run.get("output").asText());
        JsonNode a = run.get("steps").get(0);
        assertEquals(3, a.get("attempts").asInt());
        var calls = sdk.calls("flaky");
        assertTrue(calls.get(0).discovery());
        assertTrue(calls.get(1).targets("a") && calls.get(1).attempt() == 1, "the retry is a targeted call with attempt 1");
        assertTrue(calls.get(2).targets("a") && calls.get(2).attempt() == 2);
    }

    @Test
    void waitsAsLongAsRetryAfterSaysBeforeRetryingAStep() throws Exception {
        var retriedAt = new java.util.concurrent.atomic.AtomicLong();
        var firstAt = new java.util.concurrent.atomic.AtomicLong();
        sdk.fn("later").on("test/later").handler(c -> {
            if (c.has("a")) {
                return done(c.data("a"));
            }
            if (c.attempt() == 0) {
                firstAt.set(System.currentTimeMillis());
                return new FakeSdk.Answer(206, Json.toBytes(List.of(stepError("a", "slow down"))),
                        Map.of("X-Inngest-No-Retry", "false", "Retry-After", "1"));
            }
            retriedAt.set(System.currentTimeMillis());
            return ops(stepRun("a", "ok"));
        });
        sdk.sync(dev);

        api.awaitStatus(api.runOf(api.send("test/later", Map.of())), "Completed");

        assertTrue(retriedAt.get() - firstAt.get() >= 1_000, "Retry-After is honoured, and not scaled");
    }

    @Test
    void memoizesTheStepErrorWhenRetriesAreExhaustedAndLetsTheFunctionDecide() throws Exception {
        sdk.fn("doomed").on("test/doomed").retries(1).handler(c -> {
            if (!c.has("a")) {
                return ops(stepError("a", "always"));
            }
            JsonNode error = c.memo("a").get("error");
            return fail(400, error.get("name").asText(), "uncaught: " + error.get("message").asText(), true);
        });
        sdk.sync(dev);

        JsonNode run = api.awaitStatus(api.runOf(api.send("test/doomed", Map.of())), "Failed");

        assertEquals("uncaught: always", run.get("error").get("message").asText());
        assertEquals(2, run.get("steps").get(0).get("attempts").asInt(), "retries(1) means two attempts");
        assertEquals("failed", run.get("steps").get(0).get("status").asText());
        assertEquals(3, sdk.calls("doomed").size());
    }

    @Test
    void memoizesAStepFailedAtOnceWithoutRetrying() throws Exception {
        sdk.fn("nr").on("test/nr").handler(c -> c.has("a")
                ? done(c.memo("a").get("error").get("name"))
                : ops(stepFailed("a", "no way")));
        sdk.sync(dev);

        JsonNode run = api.awaitStatus(api.runOf(api.send("test/nr", Map.of())), "Completed");

        assertEquals("NonRetriableError", run.get("output").asText());
        assertEquals(2, sdk.calls("nr").size());
    }

    @Test
    void retriesFunctionErrorsWithBackoffThenFails() throws Exception {
        sdk.fn("err").on("test/err").retries(2).handler(c -> fail(500, "TypeError", "attempt " + c.attempt(), false));
        sdk.sync(dev);

        JsonNode run = api.awaitStatus(api.runOf(api.send("test/err", Map.of())), "Failed");

        assertEquals("TypeError", run.get("error").get("name").asText());
        assertEquals("attempt 2", run.get("error").get("message").asText());
        assertEquals(List.of(0, 1, 2), sdk.calls("err").stream().map(FakeSdk.Call::attempt).toList());
    }

    @Test
    void failsAtOnceOnANonRetriableError() throws Exception {
        sdk.fn("stop").on("test/stop").handler(c -> fail(400, "NonRetriableError", "bad input", true));
        sdk.sync(dev);

        JsonNode run = api.awaitStatus(api.runOf(api.send("test/stop", Map.of())), "Failed");

        assertEquals("bad input", run.get("error").get("message").asText());
        assertEquals(1, sdk.calls("stop").size());
    }

    @Test
    void retriesGarbageAnswersLikeErrorsThenFails() throws Exception {
        sdk.fn("html").on("test/garbage").retries(1).handler(c -> raw(200, "<html>oops</html>"));
        sdk.fn("noops").on("test/garbage").retries(1).handler(c -> raw(206, "{\"not\":\"ops\"}"));
        sdk.sync(dev);

        String eventId = api.send("test/garbage", Map.of());
        JsonNode runs = Api.await(() -> api.get("/v1/events/" + eventId + "/runs").get("data"),
                d -> d.size() == 2 && d.findValues("status").stream().noneMatch(s -> s.asText().equals("Running")), "both runs to end");

        for (JsonNode r : runs) {
            assertEquals("Failed", r.get("status").asText(), r.toString());
            assertEquals("InvalidResponse", r.get("error").get("name").asText());
        }
        assertEquals(2, sdk.calls("html").size());
        assertEquals(2, sdk.calls("noops").size());
    }

    @Test
    void retriesWhenTheSdkCannotBeReachedThenFails() throws Exception {
        sdk.fn("gone").on("test/gone").retries(1);
        sdk.sync(dev);
        sdk.close();

        JsonNode run = api.awaitStatus(api.runOf(api.send("test/gone", Map.of())), "Failed");

        assertEquals("ConnectionError", run.get("error").get("name").asText());
    }

    @Test
    void triggersOnFailureHandlersThroughTheFunctionFailedEvent() throws Exception {
        sdk.fn("pay").on("test/pay").retries(0).handler(c -> fail(500, "Error", "card declined", false));
        sdk.fn("pay-failure").on("inngest/function.failed", "event.data.function_id == 'app-pay'")
                .handler(c -> done(Map.of("handled", c.event().path("data").path("error").path("message").asText(),
                        "original", c.event().path("data").path("event").path("name").asText())));
        sdk.fn("other-failure").on("inngest/function.failed", "event.data.function_id == 'app-other'");
        sdk.sync(dev);

        String payRun = api.runOf(api.send("test/pay", Map.of()));
        api.awaitStatus(payRun, "Failed");
        JsonNode handlerRun = Api.await(() -> api.get("/v1/runs?function=app-pay-failure").get("data"), d -> d.size() == 1
                && d.get(0).get("status").asText().equals("Completed"), "the onFailure run").get(0);

        assertEquals("card declined", handlerRun.get("output").get("handled").asText());
        assertEquals("test/pay", handlerRun.get("output").get("original").asText());
        assertEquals(payRun, handlerRun.get("event_id").asText(), "function.failed carries the run id as its id");
        assertEquals(0, api.get("/v1/runs?function=app-other-failure").get("data").size());
        JsonNode finished = api.get("/v1/events?name=inngest/function.finished").get("data");
        assertTrue(finished.findValues("run_id").stream().anyMatch(v -> v.asText().equals(payRun)));
    }

    @Test
    void cancelsARunThroughTheRestApiSoNothingResumesIt() throws Exception {
        sdk.fn("slow").on("test/slow").handler(c -> c.has("wait") ? done("resumed") : ops(waitFor("wait", "test/go", "1h", null)));
        sdk.sync(dev);
        String first = api.runOf(api.send("test/slow", Map.of()));
        String second = api.runOf(api.send("test/slow", Map.of()));
        Api.await(() -> api.run(second).get("steps"), s -> s.size() == 1, "the second run to wait");

        Api.Response cancelled = api.request("POST", "/v1/runs/" + first + "/cancel", null);
        Api.Response deleted = api.request("DELETE", "/v1/runs/" + second, null);
        api.send("test/go", Map.of());

        assertEquals(200, cancelled.status());
        assertEquals("Cancelled", cancelled.json().get("data").get("status").asText());
        assertEquals("Cancelled", deleted.json().get("data").get("status").asText());
        assertEquals("Cancelled", api.run(first).get("status").asText());
        Api.Response again = api.request("POST", "/v1/runs/" + first + "/cancel", null);
        assertEquals(409, again.status(), "a cancelled run has ended, like any other: " + again.text());
        Api.Response unknown = api.request("GET", "/v1/runs/01NOPE", null);
        assertEquals(404, unknown.status());
        assertTrue(unknown.json().get("error").asText().contains("01NOPE"));
        assertFalse(unknown.text().contains("\n"));
        assertEquals(2, sdk.calls("slow").size(), "no call after cancellation");
    }

    @Test
    void cancelsRunsOnAMatchingCancelEvent() throws Exception {
        sdk.fn("sub").on("test/sub").cancelOn(new CancelOn("test/unsub", "event.data.user == async.data.user", null))
                .handler(c -> ops(sleepJs("forever", "1h")));
        sdk.sync(dev);
        String ada = api.runOf(api.send("test/sub", Map.of("user", "ada")));
        String bob = api.runOf(api.send("test/sub", Map.of("user", "bob")));
        Api.await(() -> api.run(bob).get("steps"), s -> s.size() == 1, "bob's run to sleep");
        Api.await(() -> api.run(ada).get("steps"), s -> s.size() == 1, "ada's run to sleep");

        api.send("test/unsub", Map.of("user", "ada"));

        api.awaitStatus(ada, "Cancelled");
        assertEquals("Running", api.run(bob).get("status").asText());
    }
}
