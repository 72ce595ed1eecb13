package dev.loomstep.devserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Function;
import dev.loomstep.Invoke;
import dev.loomstep.Trigger;
import dev.loomstep.flow.BatchEvents;
import dev.loomstep.flow.CancelOn;
import dev.loomstep.flow.RateLimit;
import dev.loomstep.flow.Throttle;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The config options a function states per key or by expression — rateLimit and throttle keys, throttle
 * burst, batchEvents key and if, cancelOn match, idempotency as a CEL expression, priority.run, cron jitter — and the
 * durable-wait rules (whole seconds, invoke by local id) take effect for a real Loomstep app served over
 * loopback HTTP by the devserver. The devserver's clock is movable, so minute-long periods pass at once.
 */
@Timeout(60)
class ConfigOptionsEndToEndTest {
    static final Instant ORIGIN = Instant.parse("2030-01-01T00:10:00Z");
    static final MovableClock clock = new MovableClock(ORIGIN);
    static DevServer dev;
    static LoomstepDevServer fixture;
    static Api api;

    @BeforeAll
    static void start() throws Exception {
        var keyedRate = Function.builder("keyed-rate").trigger(Trigger.event("co/keyed-rate"))
                .rateLimit(new RateLimit(1, Duration.ofMinutes(1), "event.data.user"))
                .handler((in, step) -> in.data().path("n").asInt());
        var burst = Function.builder("burst").trigger(Trigger.event("co/burst"))
                .throttle(new Throttle(1, Duration.ofMinutes(1), 1, "event.data.user"))
                .handler((in, step) -> in.data().path("n").asInt());
        var keyedBatch = Function.builder("keyed-batch").trigger(Trigger.event("co/keyed-batch"))
                .batchEvents(new BatchEvents(2, Duration.ofMinutes(1), "event.data.user", "event.data.batch == true"))
                .handler((in, step) -> in.events().stream().map(e -> e.data().path("n").asInt()).toList());
        var refundable = Function.builder("refundable").trigger(Trigger.event("co/order"))
                .cancelOn(CancelOn.event("co/refund").match("data.order"))
                .handler((in, step) -> {
                    step.sleep("ship-later", Duration.ofDays(7));
                    return "shipped";
                });
        var idem = Function.builder("idem").trigger(Trigger.event("co/idem"))
                .idempotency("event.data.user + '/' + string(event.data.order)")
                .handler((in, step) -> in.data().path("n").asInt());
        var doubler = Function.builder("doubler").trigger(Trigger.event("co/doubler"))
                .handler((in, step) -> in.data().path("v").asInt() * 2);
        var quick = Function.builder("quick").trigger(Trigger.event("co/quick")).handler((in, step) -> {
            step.sleep("nap", Duration.ofMillis(300));
            return step.invoke("call", Integer.class, Invoke.function("doubler").data(Map.of("v", 21)).timeout(Duration.ofMillis(61_500)));
        });
        var jittered = Function.builder("jittered").trigger(Trigger.cron("0 * * * *").jitter(Duration.ofMinutes(30)))
                .handler((in, step) -> in.data().path("cron").asText());
        var prioritised = Function.builder("prioritised").trigger(Trigger.event("co/prioritised"))
                .priority("event.data.vip ? 600 : -300")
                .handler((in, step) -> in.data().path("n").asInt());
        fixture = LoomstepDevServer.builder("co").devserver(b -> b.clock(clock))
                .start(keyedRate, burst, keyedBatch, refundable, idem, doubler, quick, jittered, prioritised);
        dev = fixture.dev;
        api = fixture.api;
    }

    @AfterAll
    static void stop() {
        if (fixture != null) {
            fixture.close();
        }
    }

    int runsOf(String eventId) {
        return api.get("/v1/events/" + eventId + "/runs").get("data").size();
    }

    @Test
    void rateLimitCountsEachKeyOnItsOwn() {
        String ada = api.send("co/keyed-rate", Map.of("user", "ada", "n", 1));
        String adaAgain = api.send("co/keyed-rate", Map.of("user", "ada", "n", 2));
        String bob = api.send("co/keyed-rate", Map.of("user", "bob", "n", 3));

        assertEquals(1, api.awaitStatus(api.runOf(ada), "Completed").get("output").asInt());
        assertEquals(3, api.awaitStatus(api.runOf(bob), "Completed").get("output").asInt(), "bob has his own limit");
        assertEquals(0, runsOf(adaAgain), "ada's second event within the period starts no run");
    }

    @Test
    void throttleBurstStartsLimitPlusBurstAtOnceAndTheRestWhenThePeriodPasses() {
        var runs = new ArrayList<String>();
        for (int n = 1; n <= 3; n++) {
            runs.add(api.runOf(api.send("co/burst", Map.of("user", "ada", "n", n))));
        }
        String bob = api.runOf(api.send("co/burst", Map.of("user", "bob", "n", 9)));

        assertEquals(1, api.awaitStatus(runs.get(0), "Completed").get("output").asInt());
        assertEquals(2, api.awaitStatus(runs.get(1), "Completed").get("output").asInt(), "limit 1 + burst 1 start at once");
        assertEquals(9, api.awaitStatus(bob, "Completed").get("output").asInt(), "bob's key is not throttled by ada's");
        JsonNode third = api.run(runs.get(2));
        assertTrue(third.get("run_started_at").isNull(), "the third start waits for the period: " + third);

        clock.advance(Duration.ofMinutes(1));
        assertEquals(3, api.awaitStatus(runs.get(2), "Completed").get("output").asInt(), "nothing is dropped");
    }

    @Test
    void batchesAreKeyedAndAnEventFailingTheBatchIfRunsAlone() {
        String first = api.send("co/keyed-batch", Map.of("user", "ada", "batch", true, "n", 1));
        api.send("co/keyed-batch", Map.of("user", "bob", "batch", true, "n", 2));
        String alone = api.send("co/keyed-batch", Map.of("user", "ada", "batch", false, "n", 3));
        api.send("co/keyed-batch", Map.of("user", "ada", "batch", true, "n", 4));

        assertEquals(List.of(1, 4), ints(api.awaitStatus(api.runOf(first), "Completed").get("output")), "ada's batch, without bob's");
        assertEquals(List.of(3), ints(api.awaitStatus(api.runOf(alone), "Completed").get("output")), "batch == false: a run of its own");
        assertEquals(2, api.get("/v1/runs?function=co-keyed-batch").get("data").size(), "bob's batch is still open");
    }

    @Test
    void priorityRunIsAnOffsetInSecondsSoANegativeOneQueuesTheRunThatMuchLater() {
        String low = api.runOf(api.send("co/prioritised", Map.of("vip", false, "n", 1)));
        String vip = api.runOf(api.send("co/prioritised", Map.of("vip", true, "n", 2)));

        assertEquals(2, api.awaitStatus(vip, "Completed").get("output").asInt(), "600: queued at once (as if 10 min earlier)");
        JsonNode waiting = api.run(low);
        assertTrue(waiting.get("run_started_at").isNull(), "-300: queued as if enqueued 5 minutes later: " + waiting);

        clock.advance(Duration.ofMinutes(5));
        assertEquals(1, api.awaitStatus(low, "Completed").get("output").asInt());
    }

    @Test
    void cancelOnMatchCancelsOnlyTheRunWhoseFieldIsEqual() {
        String one = api.runOf(api.send("co/order", Map.of("order", 1)));
        String two = api.runOf(api.send("co/order", Map.of("order", 2)));
        for (String run : List.of(one, two)) {
            Api.await(() -> api.run(run).get("steps"), s -> s.size() == 1, "run " + run + " to sleep");
        }

        String refund = api.send("co/refund", Map.of("order", 1));

        JsonNode cancelled = api.awaitStatus(one, "Cancelled");
        assertTrue(cancelled.get("error").get("message").asText().contains(refund), cancelled.toString());
        assertEquals("Running", api.run(two).get("status").asText(), "the refund of order 1 leaves order 2 alone");
        api.request("DELETE", "/v1/runs/" + two, null);
    }

    @Test
    void idempotencyKeyIsACelExpressionOverTheEvent() {
        String first = api.send("co/idem", Map.of("user", "ada", "order", 7, "n", 1));
        String duplicate = api.send("co/idem", Map.of("user", "ada", "order", 7, "n", 2));
        String otherUser = api.send("co/idem", Map.of("user", "bob", "order", 7, "n", 3));

        assertEquals(1, api.awaitStatus(api.runOf(first), "Completed").get("output").asInt());
        assertEquals(3, api.awaitStatus(api.runOf(otherUser), "Completed").get("output").asInt(), "bob/7 is another key");
        assertEquals(0, runsOf(duplicate), "ada/7 again within 24 h starts no run");
    }

    @Test
    void aSubSecondSleepLastsASecondAndInvokeByLocalIdReachesTheFunctionOfThisApp() {
        JsonNode run = api.awaitStatus(api.runOf(api.send("co/quick", Map.of())), "Completed");

        assertEquals(42, run.get("output").asInt(), run.toString());
        JsonNode nap = run.get("steps").get(0);
        assertEquals("nap", nap.get("name").asText(), run.toString());
        assertTrue(nap.get("duration_ms").asLong() >= 900, "the 300 ms sleep was sent as 1s: " + nap);
        JsonNode child = api.get("/v1/runs?function=co-doubler").get("data");
        assertEquals(1, child.size(), "the invoke went to co-doubler: " + child);
    }

    @Test
    void aCronWithJitterFiresOnceWithinTheJitterAfterItsTime() {
        JsonNode fn = api.get("/v1/functions/co-jittered").get("data");
        assertEquals("30m", fn.get("triggers").get(0).get("jitter").asText(), fn.toString());
        String runs = "/v1/runs?function=co-jittered";

        clock.advanceTo(Instant.parse("2030-01-01T01:30:00Z"));
        JsonNode first = Api.await(() -> api.get(runs + "&status=Completed").get("data"), d -> d.size() == 1, "the 01:00 firing").get(0);
        long ts = api.get("/v1/events/" + first.get("event_id").asText()).get("data").get("ts").asLong();
        assertTrue(ts >= Instant.parse("2030-01-01T01:00:00Z").toEpochMilli()
                && ts <= Instant.parse("2030-01-01T01:30:05Z").toEpochMilli(), "fired within the 30m after 01:00, ts " + Instant.ofEpochMilli(ts));
        assertEquals(1, api.get(runs).get("data").size(), "one run for the 01:00 firing");
    }

    static List<Integer> ints(JsonNode array) {
        var out = new ArrayList<Integer>();
        array.forEach(n -> out.add(n.asInt()));
        return out;
    }
}
