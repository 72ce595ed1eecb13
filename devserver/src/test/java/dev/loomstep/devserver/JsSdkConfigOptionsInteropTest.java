package dev.loomstep.devserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * The options the official JS SDK (npm inngest 4.24.0, {@code testkit/js-peer}, app {@code e2e}) rewrites
 * before they reach the executor, through the devserver: a sub-second sleep, an invoke by a local function
 * id ({@code referenceFunction}), cancelOn {@code match} and a cron {@code jitter}. The options JS syncs as
 * the user wrote them (keys, burst, batch if) behave as for a Loomstep app ({@link ConfigOptionsEndToEndTest}).
 */
@Timeout(60)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class JsSdkConfigOptionsInteropTest extends JsPeerScenarios {
    final MovableClock clock = new MovableClock(Instant.parse("2030-01-01T00:10:00Z"));

    JsSdkConfigOptionsInteropTest() {
        super(null); // the SDK's default checkpointing
    }

    @BeforeAll
    void start() throws Exception {
        startJs(Map.of(), false, b -> b.clock(clock));
        Api.await(() -> api.get("/v1/functions").get("data"), d -> d.size() >= 4, "the JS e2e functions to be synced");
    }

    @Test
    void jsSdkSubSecondSleepLastsASecondAndItsInvokeByLocalIdReachesTheFunctionOfItsApp() {
        JsonNode run = api.awaitStatus(api.runOf(api.send("e2e/ref-parent", Map.of())), "Completed");

        assertEquals(42, run.get("output").asInt(), run.toString());
        JsonNode nap = run.get("steps").get(0);
        assertEquals("nap", nap.get("name").asText(), run.toString());
        assertTrue(nap.get("duration_ms").asLong() >= 900, "JS sent the 300 ms sleep as 1s: " + nap);
        assertEquals(1, api.get("/v1/runs?function=e2e-doubler").get("data").size(), "the invoke went to e2e-doubler");
    }

    @Test
    void jsSdkCancelOnMatchCancelsOnlyTheRunWhoseFieldIsEqual() {
        JsonNode fn = api.get("/v1/functions/e2e-match-cancel").get("data");
        assertEquals("event.data.order == async.data.order", fn.get("config").get("cancel").get(0).get("if").asText(), fn.toString());
        String one = api.runOf(api.send("e2e/order", Map.of("order", 1)));
        String two = api.runOf(api.send("e2e/order", Map.of("order", 2)));
        for (String run : List.of(one, two)) {
            Api.await(() -> api.run(run).get("steps"), s -> s.size() == 1, "JS run " + run + " to sleep");
        }

        String refund = api.send("e2e/refund", Map.of("order", 1));

        JsonNode cancelled = api.awaitStatus(one, "Cancelled");
        assertTrue(cancelled.get("error").get("message").asText().contains(refund), cancelled.toString());
        assertEquals("Running", api.run(two).get("status").asText(), "the refund of order 1 leaves order 2 alone");
        api.request("DELETE", "/v1/runs/" + two, null);
    }

    @Test
    void jsSdkCronWithJitterFiresOnceWithinTheJitterAfterItsTime() {
        JsonNode fn = api.get("/v1/functions/e2e-jittered").get("data");
        assertEquals("20m", fn.get("triggers").get(0).get("jitter").asText(), fn.toString());
        String runs = "/v1/runs?function=e2e-jittered";

        clock.advanceTo(Instant.parse("2030-01-01T00:50:00Z"));
        JsonNode first = Api.await(() -> api.get(runs + "&status=Completed").get("data"), d -> d.size() == 1, "the 00:30 firing").get(0);
        long ts = api.get("/v1/events/" + first.get("event_id").asText()).get("data").get("ts").asLong();
        assertTrue(ts >= Instant.parse("2030-01-01T00:30:00Z").toEpochMilli()
                && ts <= Instant.parse("2030-01-01T00:50:05Z").toEpochMilli(), "fired within the 20m after 00:30, ts " + Instant.ofEpochMilli(ts));
        assertEquals("30 * * * *", first.get("output").asText(), first.toString());
        assertEquals(1, api.get(runs).get("data").size(), "one run for the 00:30 firing");
    }
}
