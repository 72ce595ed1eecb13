package dev.loomstep.devserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Function;
import dev.loomstep.Trigger;
import dev.loomstep.flow.BatchEvents;
import dev.loomstep.flow.Concurrency;
import dev.loomstep.flow.Debounce;
import dev.loomstep.flow.RateLimit;
import dev.loomstep.flow.Singleton;
import dev.loomstep.flow.Throttle;
import dev.loomstep.flow.Timeouts;
import dev.loomstep.undertow.LoomstepServer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Every flow-control option of a real Loomstep function (served by http-adapter's
 * {@link LoomstepServer}) takes effect in the devserver, over real HTTP on loopback.
 */
@Timeout(60)
class FlowControlEndToEndTest {
    static DevServer dev;
    static LoomstepDevServer fixture;
    static Api api;
    static final AtomicInteger inStep = new AtomicInteger();
    static final AtomicInteger maxInStep = new AtomicInteger();

    @BeforeAll
    static void start() throws Exception {
        var rated = Function.builder("rated").trigger(Trigger.event("fc/rated"))
                .rateLimit(RateLimit.of(1, Duration.ofMinutes(1)))
                .handler((in, step) -> in.data().path("n").asInt());
        var idem = Function.builder("idem").trigger(Trigger.event("fc/idem"))
                .idempotency("event.data.order")
                .handler((in, step) -> in.data().path("order").asInt());
        var limited = Function.builder("limited").trigger(Trigger.event("fc/limited"))
                .concurrency(Concurrency.of(1))
                .handler((in, step) -> {
                    int a = step.run("a", Integer.class, FlowControlEndToEndTest::busyStep);
                    int b = step.run("b", Integer.class, FlowControlEndToEndTest::busyStep);
                    return a + b;
                });
        var throttled = Function.builder("throttled").trigger(Trigger.event("fc/throttled"))
                .throttle(Throttle.of(1, Duration.ofSeconds(1)))
                .handler((in, step) -> in.data().path("n").asInt());
        var debounced = Function.builder("debounced").trigger(Trigger.event("fc/debounced"))
                .debounce(Debounce.of(Duration.ofSeconds(1)))
                .handler((in, step) -> in.data().path("n").asInt());
        var batched = Function.builder("batched").trigger(Trigger.event("fc/batched"))
                .batchEvents(BatchEvents.of(3, Duration.ofSeconds(30)))
                .handler((in, step) -> Map.of("size", in.events().size(), "first", in.event().data().path("n").asInt(),
                        "ns", in.events().stream().map(e -> e.data().path("n").asInt()).toList()));
        var partial = Function.builder("partial").trigger(Trigger.event("fc/partial"))
                .batchEvents(BatchEvents.of(10, Duration.ofSeconds(1)))
                .handler((in, step) -> in.events().stream().map(e -> e.data().path("n").asInt()).toList());
        var lonely = Function.builder("lonely").trigger(Trigger.event("fc/lonely"))
                .singleton(new Singleton("event.data.user", Singleton.Mode.skip))
                .handler((in, step) -> {
                    step.sleep("hold", Duration.ofMillis(in.data().path("ms").asLong()));
                    return in.data().path("n").asInt();
                });
        var replacing = Function.builder("replacing").trigger(Trigger.event("fc/replacing"))
                .singleton(new Singleton(null, Singleton.Mode.cancel))
                .handler((in, step) -> {
                    step.sleep("hold", Duration.ofMillis(in.data().path("ms").asLong()));
                    return in.data().path("n").asInt();
                });
        var stuck = Function.builder("stuck").trigger(Trigger.event("fc/stuck"))
                .timeouts(new Timeouts(null, Duration.ofSeconds(1)))
                .handler((in, step) -> {
                    step.sleep("long", Duration.ofMinutes(5));
                    return "woke";
                });
        var queued = Function.builder("queued").trigger(Trigger.event("fc/queued"))
                .concurrency(Concurrency.of(1)).timeouts(new Timeouts(Duration.ofSeconds(1), null))
                .handler((in, step) -> step.run("block", Integer.class, () -> {
                    Thread.sleep(in.data().path("ms").asLong());
                    return in.data().path("n").asInt();
                }));
        fixture = LoomstepDevServer.builder("fc")
                .start(rated, idem, limited, throttled, debounced, batched, partial, lonely, replacing, stuck, queued);
        dev = fixture.dev;
        api = fixture.api;
    }

    @AfterAll
    static void stop() {
        if (fixture != null) {
            fixture.close();
        }
    }

    static int busyStep() throws InterruptedException {
        int now = inStep.incrementAndGet();
        maxInStep.accumulateAndGet(now, Math::max);
        try {
            Thread.sleep(50);
            return 1;
        } finally {
            inStep.decrementAndGet();
        }
    }

    static List<Integer> ints(JsonNode array) {
        var out = new ArrayList<Integer>();
        array.forEach(n -> out.add(n.asInt()));
        return out;
    }

    int runsOf(String eventId) {
        return api.get("/v1/events/" + eventId + "/runs").get("data").size();
    }

    JsonNode runsOfFunction(String fn) {
        return api.get("/v1/runs?function=fc-" + fn).get("data");
    }

    @Test
    void rateLimitDropsTheEventsOverTheLimit() {
        String first = api.send("fc/rated", Map.of("n", 1));
        String second = api.send("fc/rated", Map.of("n", 2));
        String third = api.send("fc/rated", Map.of("n", 3));

        assertEquals(1, api.awaitStatus(api.runOf(first), "Completed").get("output").asInt());
        assertEquals(0, runsOf(second), "over the limit: no run");
        assertEquals(0, runsOf(third), "over the limit: no run");
        assertEquals(1, runsOfFunction("rated").size());
    }

    @Test
    void idempotencySkipsADuplicateKey() {
        String first = api.send("fc/idem", Map.of("order", 7));
        String duplicate = api.send("fc/idem", Map.of("order", 7));
        String other = api.send("fc/idem", Map.of("order", 8));

        assertEquals(7, api.awaitStatus(api.runOf(first), "Completed").get("output").asInt());
        assertEquals(8, api.awaitStatus(api.runOf(other), "Completed").get("output").asInt());
        assertEquals(0, runsOf(duplicate), "the same key within 24 h starts no run");
    }

    @Test
    void concurrencyOneNeverRunsTwoStepsAtOnceAndEveryRunCompletes() {
        maxInStep.set(0);
        var runs = new ArrayList<String>();
        for (int i = 0; i < 5; i++) {
            runs.add(api.runOf(api.send("fc/limited", Map.of("i", i))));
        }
        for (String run : runs) {
            assertEquals(2, api.awaitStatus(run, "Completed").get("output").asInt());
        }
        assertEquals(1, maxInStep.get(), "at most one step executes at a time");
    }

    @Test
    void throttleDelaysStartsButDropsNothing() {
        var runs = new ArrayList<String>();
        for (int i = 1; i <= 3; i++) {
            runs.add(api.runOf(api.send("fc/throttled", Map.of("n", i))));
        }
        var starts = new ArrayList<Instant>();
        for (String run : runs) {
            JsonNode r = api.awaitStatus(run, "Completed");
            starts.add(Instant.parse(r.get("run_started_at").asText()));
        }
        starts.sort(null);
        for (int i = 1; i < starts.size(); i++) {
            long gap = Duration.between(starts.get(i - 1), starts.get(i)).toMillis();
            assertTrue(gap >= 900, "one start per second, got " + gap + " ms between starts " + starts);
        }
    }

    @Test
    void debounceRunsOnceWithTheLastEvent() {
        String a = api.send("fc/debounced", Map.of("n", 1));
        String b = api.send("fc/debounced", Map.of("n", 2));
        String c = api.send("fc/debounced", Map.of("n", 3));

        JsonNode runs = Api.await(() -> runsOfFunction("debounced"), d -> d.size() == 1, "the debounced run");
        JsonNode run = api.awaitStatus(runs.get(0).get("run_id").asText(), "Completed");
        assertEquals(3, run.get("output").asInt(), run.toString());
        assertEquals(c, run.get("event_id").asText());
        assertEquals(0, runsOf(a));
        assertEquals(0, runsOf(b));
        assertEquals(1, runsOfFunction("debounced").size(), "exactly one run");
    }

    @Test
    void aFullBatchStartsOneRunWithEveryEvent() {
        String first = api.send("fc/batched", Map.of("n", 1));
        api.send("fc/batched", Map.of("n", 2));
        assertEquals(0, runsOfFunction("batched").size(), "an open batch starts nothing yet");
        api.send("fc/batched", Map.of("n", 3));

        JsonNode run = api.awaitStatus(api.runOf(first), "Completed");
        assertEquals(3, run.get("output").get("size").asInt(), run.toString());
        assertEquals(1, run.get("output").get("first").asInt(), "event is the batch's first event");
        assertEquals(List.of(1, 2, 3), ints(run.get("output").get("ns")));
        assertEquals(1, runsOfFunction("batched").size());
    }

    @Test
    void aPartialBatchStartsAtItsTimeout() {
        long sent = System.currentTimeMillis();
        String first = api.send("fc/partial", Map.of("n", 1));
        api.send("fc/partial", Map.of("n", 2));

        JsonNode run = api.awaitStatus(api.runOf(first), "Completed");
        assertEquals(List.of(1, 2), ints(run.get("output")), run.toString());
        assertTrue(Instant.parse(run.get("run_started_at").asText()).toEpochMilli() >= sent + 900,
                "the batch waited for its timeout");
    }

    @Test
    void singletonSkipsANewRunWhileOneRunsForTheKey() {
        String running = api.runOf(api.send("fc/lonely", Map.of("user", "u", "n", 1, "ms", 1000)));
        String skipped = api.send("fc/lonely", Map.of("user", "u", "n", 2, "ms", 0));
        String otherKey = api.runOf(api.send("fc/lonely", Map.of("user", "v", "n", 3, "ms", 0)));

        assertEquals(0, runsOf(skipped), "the key is held: skipped");
        assertEquals(3, api.awaitStatus(otherKey, "Completed").get("output").asInt());
        assertEquals(1, api.awaitStatus(running, "Completed").get("output").asInt());
        String after = api.runOf(api.send("fc/lonely", Map.of("user", "u", "n", 4, "ms", 0)));
        assertEquals(4, api.awaitStatus(after, "Completed").get("output").asInt(), "the key is free once the run ended");
    }

    @Test
    void singletonCancelReplacesTheRunningRun() {
        String old = api.runOf(api.send("fc/replacing", Map.of("n", 1, "ms", 60_000)));
        Api.await(() -> api.run(old).get("steps"), s -> s.size() == 1, "the first run to sleep");
        String replacement = api.runOf(api.send("fc/replacing", Map.of("n", 2, "ms", 0)));

        JsonNode cancelled = api.awaitStatus(old, "Cancelled");
        assertTrue(cancelled.get("error").get("message").asText().contains("singleton"), cancelled.toString());
        assertEquals(2, api.awaitStatus(replacement, "Completed").get("output").asInt());
    }

    @Test
    void finishTimeoutCancelsARunStuckInALongSleep() {
        long sent = System.currentTimeMillis();
        String run = api.runOf(api.send("fc/stuck", Map.of()));

        JsonNode r = api.awaitStatus(run, "Cancelled");
        assertTrue(r.get("error").get("message").asText().contains("timeouts.finish"), r.toString());
        assertTrue(System.currentTimeMillis() - sent < 10_000, "cancelled after about a second, not after the sleep");
    }

    @Test
    void startTimeoutCancelsARunThatWaitedTooLongForItsSlot() {
        String blocker = api.runOf(api.send("fc/queued", Map.of("n", 1, "ms", 2500)));
        Api.await(() -> api.run(blocker).get("run_started_at").asText(), s -> !s.isEmpty(), "the blocker to start");
        String late = api.runOf(api.send("fc/queued", Map.of("n", 2, "ms", 0)));

        JsonNode r = api.awaitStatus(late, "Cancelled");
        assertTrue(r.get("error").get("message").asText().contains("timeouts.start"), r.toString());
        assertEquals(1, api.awaitStatus(blocker, "Completed").get("output").asInt());
    }
}
