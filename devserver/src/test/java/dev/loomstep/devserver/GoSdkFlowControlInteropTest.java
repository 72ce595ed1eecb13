package dev.loomstep.devserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * The options of the official Go SDK ({@code inngestgo} v0.16.0, {@code testkit/go-peer}) that decide whether
 * and when a run starts — a cron trigger firing, {@code BatchEvents}, {@code RateLimit}, {@code Priority},
 * {@code Idempotency}, a concurrency key, {@code Singleton}, {@code Timeouts} — as inngestgo syncs them, run by
 * the devserver end to end, with checkpointing and without. The devserver runs on a {@link MovableClock}
 * (2030-01-01T00:10Z, ticking) that the cron and priority tests move forward. Debounce, throttle, step
 * concurrency and cancellation are in {@link GoSdkInteropTest}.
 */
class GoSdkFlowControlInteropTest {

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
        final MovableClock clock = new MovableClock(Instant.parse("2030-01-01T00:10:00Z"));
        GoPeerDevServer go;
        Api api;

        Scenarios(boolean checkpointing) {
            this.checkpointing = checkpointing;
        }

        @BeforeAll
        void start() throws Exception {
            go = GoPeerDevServer.start(checkpointing, Map.of(), b -> b.clock(clock));
            api = go.api;
            Api.await(() -> api.get("/v1/functions").get("data"), d -> d.size() == GoSdkInteropTest.GO_FUNCTIONS,
                    "the Go functions to be synced by -u");
        }

        @AfterAll
        void stop() {
            if (go != null) {
                go.close();
            }
        }

        private int runsOf(String eventId) {
            return api.get("/v1/events/" + eventId + "/runs").get("data").size();
        }

        private static List<String> names(JsonNode run) {
            var out = new ArrayList<String>();
            run.get("steps").forEach(s -> out.add(s.get("name").asText()));
            return out;
        }

        private static List<Integer> ints(JsonNode array) {
            var out = new ArrayList<Integer>();
            array.forEach(n -> out.add(n.asInt()));
            return out;
        }

        private static Instant startedAt(JsonNode run) {
            return Instant.parse(run.get("run_started_at").asText());
        }

        @Test
        void goSdkCronTriggerFiresOnTheScheduledTimerEventEachHour() {
            JsonNode first = api.awaitHourlyCronFirings(clock, "go-hourly");

            JsonNode run = api.run(first.get("run_id").asText());
            assertEquals("inngest/scheduled.timer", run.get("output").get("name").asText(), run.toString());
            assertEquals("0 * * * *", run.get("output").get("cron").asText(), run.toString());
            long ts = run.get("output").get("ts").asLong();
            assertTrue(ts >= Instant.parse("2030-01-01T01:00:00Z").toEpochMilli(), "the event's ts is the firing time: " + run);
            assertEquals(List.of("tick"), names(run), run.toString());
        }

        @Test
        void goSdkBatchEventsRunsAFullBatchAtOnceAndAPartialOneAtItsTimeout() {
            String user = "ada-" + checkpointing;
            String other = "bob-" + checkpointing;
            String first = api.send("go/batched", Map.of("user", user, "n", 1));
            String lone = api.send("go/batched", Map.of("user", other, "n", 2));
            api.send("go/batched", Map.of("user", user, "n", 3));
            api.send("go/batched", Map.of("user", user, "n", 4));

            JsonNode full = api.awaitStatus(api.runOf(first), "Completed");
            JsonNode partial = api.awaitStatus(api.runOf(lone), "Completed");

            assertEquals(3, full.get("output").get("size").asInt(), full.toString());
            assertEquals(List.of(1, 3, 4), ints(full.get("output").get("ns")), "the key keeps bob's event out: " + full);
            assertEquals(1, full.get("output").get("first").asInt(), "event is the batch's first: " + full);
            assertEquals(List.of("collect"), names(full), full.toString());
            assertEquals(List.of(2), ints(partial.get("output").get("ns")), partial.toString());
            long waited = Duration.between(startedAt(full), startedAt(partial)).toMillis();
            assertTrue(waited >= 1500, "bob's batch of one waited for its 2 s timeout; it started " + waited + " ms after ada's");
        }

        @Test
        void goSdkRateLimitDropsTheEventsOverTheLimitOfTheirKey() {
            String first = api.send("go/rate-limited", Map.of("user", "ada", "n", 1));
            String over = api.send("go/rate-limited", Map.of("user", "ada", "n", 2));
            String otherKey = api.send("go/rate-limited", Map.of("user", "bob", "n", 3));

            JsonNode a = api.awaitStatus(api.runOf(first), "Completed");
            JsonNode b = api.awaitStatus(api.runOf(otherKey), "Completed");
            assertEquals(1, a.get("output").get("n").asInt(), a.toString());
            assertEquals(3, b.get("output").get("n").asInt(), "bob has a limit of his own: " + b);
            assertEquals(List.of("count"), names(a), a.toString());
            assertEquals(0, runsOf(over), "ada's second event within the minute starts no run");
            assertEquals(2, api.get("/v1/runs?function=go-rate-limited").get("data").size());
        }

        @Test
        void goSdkPriorityRunQueuesANegativeRunThatManySecondsLater() {
            String low = api.runOf(api.send("go/prioritized", Map.of("vip", false, "n", 1)));
            String vip = api.runOf(api.send("go/prioritized", Map.of("vip", true, "n", 2)));

            JsonNode done = api.awaitStatus(vip, "Completed");
            assertEquals(2, done.get("output").get("n").asInt(), "600: queued at once: " + done);
            JsonNode waiting = api.run(low);
            assertTrue(waiting.get("run_started_at").isNull(), "-300: queued as if sent 5 minutes later: " + waiting);

            clock.advance(Duration.ofMinutes(5));
            JsonNode late = api.awaitStatus(low, "Completed");
            assertEquals(1, late.get("output").get("n").asInt(), late.toString());
            assertEquals(List.of("count"), names(late), late.toString());
        }

        @Test
        void goSdkIdempotencyKeyStartsOneRunPerKey() {
            String first = api.send("go/idempotent", Map.of("order", 7, "n", 1));
            String duplicate = api.send("go/idempotent", Map.of("order", 7, "n", 2));
            String other = api.send("go/idempotent", Map.of("order", 8, "n", 3));

            assertEquals(1, api.awaitStatus(api.runOf(first), "Completed").get("output").get("n").asInt());
            assertEquals(3, api.awaitStatus(api.runOf(other), "Completed").get("output").get("n").asInt());
            assertEquals(0, runsOf(duplicate), "order 7 again within 24 h starts no run");
        }

        @Test
        void goSdkConcurrencyKeyRunsOneStepPerKeyAndKeysSideBySide() {
            String a1 = api.runOf(api.send("go/per-user", Map.of("user", "ada", "n", 1, "ms", 800)));
            String a2 = api.runOf(api.send("go/per-user", Map.of("user", "ada", "n", 2, "ms", 800)));
            String b1 = api.runOf(api.send("go/per-user", Map.of("user", "bob", "n", 3, "ms", 800)));

            JsonNode first = api.awaitStatus(a1, "Completed").get("output");
            JsonNode second = api.awaitStatus(a2, "Completed").get("output");
            JsonNode bob = api.awaitStatus(b1, "Completed").get("output");
            assertTrue(apart(first, second), "ada's two steps overlapped: " + first + " " + second);
            assertTrue(!apart(bob, first) || !apart(bob, second),
                    "bob's step ran beside one of ada's (another key): " + bob + " " + first + " " + second);
            assertEquals(List.of("hold"), names(api.run(b1)));
        }

        private static boolean apart(JsonNode x, JsonNode y) {
            return x.get("end").asLong() <= y.get("start").asLong() || y.get("end").asLong() <= x.get("start").asLong();
        }

        @Test
        void goSdkSingletonSkipsANewRunWhileOneIsActiveForTheKey() {
            String active = api.runOf(api.send("go/singleton", Map.of("user", "ada", "n", 1, "ms", 1500)));
            Api.await(() -> api.run(active).get("run_started_at"), s -> !s.isNull(), "ada's run to start");
            String skipped = api.send("go/singleton", Map.of("user", "ada", "n", 2, "ms", 0));
            String otherKey = api.runOf(api.send("go/singleton", Map.of("user", "bob", "n", 3, "ms", 0)));

            assertEquals(3, api.awaitStatus(otherKey, "Completed").get("output").get("n").asInt());
            assertEquals(0, runsOf(skipped), "ada's key is held: skipped");
            assertEquals(1, api.awaitStatus(active, "Completed").get("output").get("n").asInt());
            String after = api.runOf(api.send("go/singleton", Map.of("user", "ada", "n", 4, "ms", 0)));
            assertEquals(4, api.awaitStatus(after, "Completed").get("output").get("n").asInt(), "the key is free once the run ended");
        }

        @Test
        void goSdkSingletonInCancelModeCancelsTheActiveRunForTheNewOne() {
            String old = api.runOf(api.send("go/replacing", Map.of("n", 1, "sleep", true)));
            Api.await(() -> api.run(old).get("steps"), s -> s.size() == 1, "the first run to sleep");
            String replacement = api.runOf(api.send("go/replacing", Map.of("n", 2, "sleep", false)));

            JsonNode cancelled = api.awaitStatus(old, "Cancelled");
            assertTrue(cancelled.get("error").get("message").asText().contains("singleton"), cancelled.toString());
            assertEquals(2, api.awaitStatus(replacement, "Completed").get("output").get("n").asInt());
        }

        @Test
        void goSdkFinishTimeoutCancelsARunStuckInALongSleep() {
            String runId = api.runOf(api.send("go/timeboxed", Map.of()));

            JsonNode run = api.awaitStatus(runId, "Cancelled");
            assertTrue(run.get("error").get("message").asText().contains("timeouts.finish"), run.toString());
            assertEquals(List.of("long"), names(run), "cancelled in its sleep: " + run);
        }
    }
}
