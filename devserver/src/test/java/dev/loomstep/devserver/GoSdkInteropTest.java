package dev.loomstep.devserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.testkit.FakeModelProviders;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * The devserver drives the official Inngest Go SDK ({@code github.com/inngest/inngestgo} v0.16.0,
 * {@code testkit/go-peer}, app {@code go}) as the Inngest dev server would: synced with {@code -u}, events
 * through {@code /e/{key}}, every op the SDK sends, each run's status, steps and output read back through
 * the REST API. Every scenario runs twice: with checkpointing ({@code checkpoint.ConfigSafe} on the client:
 * each {@code step.Run} is reported to {@code POST /v1/checkpoint/{runId}/async} and the function goes on
 * in the same call) and without (inngestgo's default: one call per step). Skipped (with the reason) only
 * when Go is missing or the build fails ({@code GoPeer} fails instead under
 * {@code -Dloomstep.requirePeer=true}, as {@code ./loom test} sets).
 */
class GoSdkInteropTest {
    /** How many functions app {@code go} syncs ({@code testkit/go-peer}). */
    static final int GO_FUNCTIONS = 36;

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

    @Timeout(60)
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    abstract static class Scenarios {
        private final boolean checkpointing;
        GoPeerDevServer go;
        FakeModelProviders fakes;
        Api api;

        Scenarios(boolean checkpointing) {
            this.checkpointing = checkpointing;
        }

        @BeforeAll
        void start() throws Exception {
            fakes = FakeModelProviders.start();
            go = GoPeerDevServer.start(checkpointing, Map.of(), b -> b);
            api = go.api;
            Api.await(() -> api.get("/v1/apps").get("data"), d -> d.size() == 1, "the Go app to be synced by -u");
            Api.await(() -> api.get("/v1/functions").get("data"), d -> d.size() == GO_FUNCTIONS, "the Go functions to be synced");
        }

        @AfterAll
        void stop() {
            if (go != null) {
                go.close();
            }
            if (fakes != null) {
                fakes.close();
            }
        }

        private JsonNode completed(String event, Object data) {
            return api.awaitStatus(api.runOf(api.send(event, data)), "Completed");
        }

        /** Each step's name (top level only: errors inside steps have names too). */
        private static List<String> names(JsonNode run) {
            return field(run, "name");
        }

        private static List<String> field(JsonNode run, String field) {
            var out = new java.util.ArrayList<String>();
            run.get("steps").forEach(s -> out.add(s.path(field).asText(null)));
            return out;
        }

        @Test
        void goAppIsSyncedWithItsFunctionsTriggersAndOptions() {
            JsonNode app = api.get("/v1/apps").get("data").get(0);
            assertEquals("go", app.get("name").asText(), app.toString());
            JsonNode fns = api.get("/v1/functions").get("data");
            JsonNode hourly = null;
            for (JsonNode f : fns) {
                if (f.get("id").asText().equals("go-hourly")) {
                    hourly = f;
                }
            }
            assertTrue(hourly != null && hourly.toString().contains("0 * * * *"), "the cron trigger is synced: " + fns);
        }

        @Test
        void goSdkCheckpointsEachStepRunExactlyWhenCheckpointingIsOn() {
            long before = api.get("/dev").get("checkpoints").get("committed_steps").asLong();
            JsonNode run = completed("go/seq", Map.of());

            JsonNode stats = api.get("/dev").get("checkpoints");
            if (checkpointing) {
                // a and b checkpointed in the first call, a:1 in the call after the sleep.
                assertEquals(before + 3, stats.get("committed_steps").asLong(), stats + " " + run);
            } else {
                assertEquals(0, stats.get("accepted").asLong(), "inngestgo checkpoints only when asked: " + stats);
            }
            assertEquals(0, stats.get("refused").asLong(), stats.toString());
        }

        @Test
        void goSdkRunsStepsASleepAndARepeatedStepId() {
            JsonNode run = completed("go/seq", Map.of());

            assertEquals(6, run.get("output").get("sum").asInt(), run.toString());
            assertEquals(List.of("a", "b", "nap", "a"), names(run), run.toString());
            assertEquals(List.of("completed", "completed", "completed", "completed"), field(run, "status"));
            JsonNode steps = run.get("steps");
            assertEquals("Sleep", steps.get(2).get("op").asText(), run.toString());
            assertEquals(3, steps.get(3).get("output").asInt(), "the repeat of step a ran as its own step: " + run);
        }

        @Test
        void goSdkSleepsUntilATime() {
            Instant until = Instant.now().plusMillis(1200);
            JsonNode run = completed("go/sleep-until", Map.of("until", until.toString()));

            assertTrue(run.get("output").get("woke").asBoolean(), run.toString());
            assertEquals(List.of("wake", "after"), names(run));
            assertFalse(Instant.parse(run.get("ended_at").asText()).isBefore(until.minusMillis(50)), "woke at " + until + ": " + run);
        }

        @Test
        void goSdkRunsGroupParallel() {
            JsonNode run = completed("go/fanout", Map.of());

            assertEquals(6, run.get("output").get("sum").asInt(), run.toString());
            assertEquals(3, run.get("output").get("count").asInt(), run.toString());
            assertEquals(List.of("p1", "p2", "p3"), names(run).stream().sorted().toList(), run.toString());
        }

        @Test
        void goSdkRaceModeStillWaitsForEveryBranch() {
            JsonNode run = completed("go/race", Map.of());

            // inngestgo's race mode only asks for a discovery after each step; the group returns when all ended.
            assertEquals(List.of(1, 2), run.get("output").get("values").findValuesAsText("x").stream().map(Integer::valueOf).toList(),
                    run.toString());
            assertEquals(List.of("fast", "slow", "slow-nap"), names(run).stream().sorted().toList(), run.toString());
        }

        @Test
        void goSdkWaitsForAMatchingEvent() {
            String runId = api.runOf(api.send("go/wait", Map.of("id", 5)));
            Api.await(() -> api.run(runId).get("steps"), s -> s.size() == 1, "the Go run to wait");
            api.send("go/approve", Map.of("id", 4));
            String approval = api.send("go/approve", Map.of("id", 5));

            JsonNode run = api.awaitStatus(runId, "Completed");

            JsonNode got = run.get("output").get("got");
            assertEquals(approval, got.get("id").asText(), run.toString());
            assertEquals("go/approve", got.get("name").asText());
            assertEquals(5, got.get("data").get("id").asInt());
            assertEquals("WaitForEvent", run.get("steps").get(0).get("op").asText());
        }

        @Test
        void goSdkWaitForEventTimesOutWithErrEventNotReceived() {
            JsonNode run = completed("go/wait-quick", Map.of());

            assertTrue(run.get("output").get("timed_out").asBoolean(), run.toString());
        }

        @Test
        void goSdkInvokesAnotherFunction() {
            JsonNode run = completed("go/invoke", Map.of());

            assertEquals(42, run.get("output").get("result").get("doubled").asInt(), run.toString());
            assertEquals("InvokeFunction", run.get("steps").get(0).get("op").asText(), run.toString());
            assertEquals(List.of("call-child"), names(run), run.toString());
        }

        @Test
        void goSdkParentGetsTheErrorOfAFailingInvokedChild() {
            JsonNode parent = completed("go/catching-parent", Map.of());
            JsonNode child = Api.await(() -> api.get("/v1/runs?function=go-failing-child").get("data"), d -> d.size() == 1,
                    "the Go child run").get(0);

            assertEquals("Failed", child.get("status").asText(), child.toString());
            JsonNode out = parent.get("output");
            assertTrue(out.get("caught").asBoolean(), parent.toString());
            assertTrue(out.get("message").asText().contains("no stock for x1"), parent.toString());
            assertTrue(out.get("no_retry").asBoolean(), "inngestgo turns an invoke's error into a NoRetryError: " + parent);
            assertEquals(List.of("call-failing"), names(parent), "the step is named by its id (inngestgo sends no displayName)");
        }

        @Test
        void goSdkSendsEventsThroughTheEventApi() {
            JsonNode run = completed("go/send", Map.of());

            String one = run.get("output").get("one").asText();
            JsonNode two = run.get("output").get("two");
            assertEquals(2, two.size(), run.toString());
            JsonNode sent = api.get("/v1/events/" + one).get("data");
            assertEquals("go/sent", sent.get("name").asText(), sent.toString());
            assertEquals(1, sent.get("data").get("n").asInt());
            assertEquals(3, api.get("/v1/events/" + two.get(1).asText()).get("data").get("data").get("n").asInt());
        }

        @Test
        void goSdkWaitForSignalIsResumedByTheSignalApi() {
            String id = checkpointing + "-" + System.nanoTime();
            String runId = api.runOf(api.send("go/signal-wait", Map.of("id", id)));
            Api.await(() -> api.run(runId).get("steps"), s -> s.size() == 1, "the Go run to wait for its signal");

            Api.Response ok = api.request("POST", "/v1/signals", "{\"signal\":\"go/approve-" + id + "\",\"data\":{\"by\":\"test\"}}");
            assertEquals(200, ok.status(), ok.text());

            JsonNode run = api.awaitStatus(runId, "Completed");
            assertEquals("go/approve-" + id, run.get("output").get("signal").asText(), run.toString());
            assertEquals("test", run.get("output").get("data").get("by").asText(), run.toString());
            assertEquals("WaitForSignal", run.get("steps").get(0).get("op").asText());
        }

        @Test
        void goSdkStepFetchIsMadeByTheDevserver() {
            JsonNode run = completed("go/fetch", Map.of("url", fakes.origin() + "/echo/orders?x=1"));

            JsonNode out = run.get("output");
            assertEquals(200, out.path("status").asInt(), run.toString());
            JsonNode echo = out.get("body");
            assertEquals("POST", echo.get("method").asText(), run.toString());
            assertEquals("/echo/orders", echo.get("path").asText());
            assertEquals("{\"q\":1}", echo.get("body").asText());
            assertEquals("go", echo.get("headers").get("x-trace").asText(), echo.toString());
            assertEquals("Gateway", run.get("steps").get(0).get("op").asText(), run.toString());
        }

        @Test
        void goSdkStepInferIsMadeByTheDevserverWithTheKey() {
            JsonNode run = completed("go/infer", Map.of("base", fakes.origin() + "/openai", "key", FakeModelProviders.KEY));

            JsonNode reply = run.get("output").path("reply");
            assertEquals("echo: hello from go", reply.at("/choices/0/message/content").asText(), run.toString());
            assertEquals("AIGateway", run.get("steps").get(0).get("op").asText(), run.toString());
            assertEquals(List.of("ask"), names(run));
        }

        @Test
        void goSdkStepErrorsAreRetriedThenFailTheRun() {
            JsonNode run = api.awaitStatus(api.runOf(api.send("go/throws", Map.of())), "Failed");

            assertTrue(run.get("error").get("message").asText().contains("kaput"), run.toString());
            assertEquals(3, run.get("steps").get(0).get("attempts").asInt(), "retries 2 means three attempts: " + run);
        }

        @Test
        void goSdkNoRetryErrorFailsTheStepAtTheFirstAttempt() {
            JsonNode run = api.awaitStatus(api.runOf(api.send("go/throws-nonretriable", Map.of())), "Failed");

            assertTrue(run.get("error").get("message").asText().contains("no way"), run.toString());
            assertEquals(1, run.get("steps").get(0).get("attempts").asInt(), "retries 2, but not tried again: " + run);
        }

        @Test
        void goSdkFunctionGetsAFailedStepsErrorAndGoesOn() {
            JsonNode run = completed("go/catches", Map.of());

            assertTrue(run.get("output").get("caught").asBoolean(), run.toString());
            assertTrue(run.get("output").get("message").asText().contains("caught me"), run.toString());
            assertEquals("recovered", run.get("output").get("after").asText());
            assertEquals(List.of("failed", "completed"), field(run, "status"), run.toString());
        }

        @Test
        void goSdkFunctionErrorsAreRetriedOrFailAtOnce() {
            String retried = api.runOf(api.send("go/fn-throws", Map.of()));
            String final_ = api.runOf(api.send("go/fn-nonretriable", Map.of()));

            JsonNode r = api.awaitStatus(retried, "Failed");
            JsonNode f = api.awaitStatus(final_, "Failed");
            assertTrue(r.get("error").get("message").asText().contains("function kaput"), r.toString());
            assertTrue(f.get("error").get("message").asText().contains("function no way"), f.toString());
            assertEquals(2, r.get("attempt_errors").size(), "retries 1: two attempts: " + r);
            assertEquals(0, f.get("attempt_errors").size(), "NoRetryError: failed at the first attempt, never retried: " + f);
        }

        @Test
        void goSdkStepIsRetriedUntilItSucceeds() {
            JsonNode run = completed("go/flaky", Map.of());

            assertEquals("fine on attempt 2", run.get("output").get("out").asText(), run.toString());
            assertEquals(3, run.get("steps").get(0).get("attempts").asInt());
        }

        @Test
        void goSdkRetryAtErrorDelaysTheRetryUntilThatTime() {
            JsonNode run = completed("go/retry-at", Map.of());

            assertEquals(1, run.get("output").get("attempt").asInt(), run.toString());
            assertEquals(2, run.get("steps").get(0).get("attempts").asInt(), run.toString());
            Duration took = Duration.between(Instant.parse(run.get("run_started_at").asText()), Instant.parse(run.get("ended_at").asText()));
            assertTrue(took.toMillis() >= 900, "Retry-After (RFC 3339, whole seconds, ~2 s ahead) is kept, not scaled: " + took);
        }

        @Test
        void goSdkFailureHandlerRunsOnFunctionFailed() {
            String runId = api.runOf(api.send("go/doomed", Map.of()));
            JsonNode run = api.awaitStatus(runId, "Failed");
            JsonNode handler = Api.await(() -> api.get("/v1/runs?function=go-doomed-failure&status=Completed").get("data"),
                    d -> d.size() >= 1, "the Go failure handler's run").get(0);

            assertEquals(2, run.get("steps").get(0).get("attempts").asInt(), "retries 1 means two attempts: " + run);
            assertTrue(handler.get("output").get("handled").asText().contains("always"), handler.toString());
            assertEquals("go-doomed", handler.get("output").get("failed").asText(), handler.toString());
        }

        @Test
        void goSdkStepConcurrencyOfOneRunsOneStepAtATime() {
            String a = api.runOf(api.send("go/serial", Map.of()));
            String b = api.runOf(api.send("go/serial", Map.of()));

            JsonNode first = api.awaitStatus(a, "Completed").get("output");
            JsonNode second = api.awaitStatus(b, "Completed").get("output");
            boolean apart = first.get("end").asLong() <= second.get("start").asLong()
                    || second.get("end").asLong() <= first.get("start").asLong();
            assertTrue(apart, "the two 300 ms steps overlapped: " + first + " " + second);
        }

        @Test
        void goSdkDebounceRunsTheLastEventOfABurstOnce() {
            String key = "k-" + checkpointing + "-" + System.nanoTime();
            List<String> events = List.of(api.send("go/debounced", Map.of("key", key, "n", 1)),
                    api.send("go/debounced", Map.of("key", key, "n", 2)),
                    api.send("go/debounced", Map.of("key", key, "n", 3)));

            String runId = api.runOf(events.get(2));
            JsonNode run = api.awaitStatus(runId, "Completed");
            assertEquals(3, run.get("output").get("n").asInt(), run.toString());
            assertEquals(0, api.get("/v1/events/" + events.get(0) + "/runs").get("data").size());
            assertEquals(0, api.get("/v1/events/" + events.get(1) + "/runs").get("data").size());
        }

        @Test
        void goSdkThrottleStartsOneRunPerPeriod() {
            String a = api.runOf(api.send("go/throttled", Map.of("n", 1)));
            String bEvent = api.send("go/throttled", Map.of("n", 2));
            JsonNode first = api.awaitStatus(a, "Completed");

            String b = api.runOf(bEvent);
            JsonNode second = api.awaitStatus(b, "Completed");
            Duration gap = Duration.between(Instant.parse(first.get("run_started_at").asText()), Instant.parse(second.get("run_started_at").asText()));
            assertTrue(gap.toMillis() >= 1500, "throttle 1 per 2 s: the second run started " + gap + " after the first");
        }

        @Test
        void goSdkCancelOnCancelsOnlyTheRunTheEventMatches() {
            String one = api.runOf(api.send("go/cancellable", Map.of("id", 1)));
            String two = api.runOf(api.send("go/cancellable", Map.of("id", 2)));
            for (String runId : List.of(one, two)) {
                Api.await(() -> api.run(runId).get("steps"), s -> s.size() == 1, "Go run " + runId + " to sleep");
            }

            String cancel = api.send("go/cancel", Map.of("id", 1));

            JsonNode cancelled = api.finished(one);
            assertEquals("Cancelled", cancelled.get("status").asText(), cancelled.toString());
            assertTrue(cancelled.get("error").get("message").asText().contains(cancel), cancelled.toString());
            assertEquals("Running", api.run(two).get("status").asText(), "a cancel event for id 1 leaves id 2 alone");
            api.request("DELETE", "/v1/runs/" + two, null);
        }
    }
}
