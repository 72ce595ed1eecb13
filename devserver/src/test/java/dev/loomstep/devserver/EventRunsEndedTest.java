package dev.loomstep.devserver;

import static dev.loomstep.devserver.FakeSdk.done;
import static dev.loomstep.devserver.FakeSdk.ops;
import static dev.loomstep.devserver.FakeSdk.stepRun;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code GET /v1/events/{id}/runs/ended}: waiting for the end of an event's runs, over real HTTP. */
@Timeout(30)
class EventRunsEndedTest extends ScriptedDevServerTest {
    @Test
    void answersOnlyOnceEveryRunTheEventStartedHasEnded() throws Exception {
        var inSecondStep = new CountDownLatch(1);
        var release = new CountDownLatch(1);
        sdk.fn("slow").on("test/work").handler(c -> {
            if (!c.has("a")) {
                return ops(stepRun("a", 1));
            }
            inSecondStep.countDown();
            release.await(20, TimeUnit.SECONDS);
            return done(c.data("a").asInt() + 1);
        });
        sdk.fn("fast").on("test/work").handler(c -> done("fast"));
        sdk.sync(dev);
        String event = api.send("test/work", Map.of());
        assertTrue(inSecondStep.await(10, TimeUnit.SECONDS));

        var answer = CompletableFuture.supplyAsync(() -> api.get("/v1/events/" + event + "/runs/ended?timeout=20s"));
        // The fast run has ended and the slow one is inside its last call: the wait must still be on.
        Api.await(() -> api.get("/v1/runs?status=Completed").get("data"), d -> d.size() == 1, "the fast run to complete");
        assertFalse(answer.isDone(), "answered while a run was still running: " + (answer.isDone() ? answer.join() : ""));
        release.countDown();
        JsonNode runs = answer.get(10, TimeUnit.SECONDS).get("data");

        assertEquals(2, runs.size());
        for (JsonNode run : runs) {
            assertEquals("Completed", run.get("status").asText(), run.toString());
            assertFalse(run.get("ended_at").isNull());
        }
    }

    @Test
    void answersAtTheTimeoutWithTheRunsAsTheyAreThen() throws Exception {
        var release = new CountDownLatch(1);
        sdk.fn("stuck").on("test/stuck").handler(c -> {
            release.await(20, TimeUnit.SECONDS);
            return done(null);
        });
        sdk.sync(dev);
        String event = api.send("test/stuck", Map.of());

        JsonNode runs = api.get("/v1/events/" + event + "/runs/ended?timeout=200ms").get("data");
        release.countDown();

        assertEquals(1, runs.size());
        assertEquals("Running", runs.get(0).get("status").asText());
        api.awaitStatus(runs.get(0).get("run_id").asText(), "Completed");
    }

    @Test
    void answersAtOnceForRunsThatAlreadyEndedAndForAnEventThatStartedNone() throws Exception {
        sdk.fn("quick").on("test/quick").handler(c -> done(7));
        sdk.sync(dev);
        String quick = api.send("test/quick", Map.of());
        api.awaitStatus(api.runOf(quick), "Completed");
        String unmatched = api.send("test/nobody-listens", Map.of());

        JsonNode ended = api.get("/v1/events/" + quick + "/runs/ended?timeout=5m").get("data");
        JsonNode none = api.get("/v1/events/" + unmatched + "/runs/ended?timeout=5m").get("data");

        assertEquals(7, ended.get(0).get("output").asInt());
        assertEquals(0, none.size());
    }

    @Test
    void refusesABadTimeoutAndAnUnknownEventWithOneLine() {
        String event = api.send("test/any", Map.of());

        Api.Response notATime = api.request("GET", "/v1/events/" + event + "/runs/ended?timeout=soon", null);
        Api.Response tooLong = api.request("GET", "/v1/events/" + event + "/runs/ended?timeout=1h", null);
        Api.Response unknown = api.request("GET", "/v1/events/no-such-event/runs/ended", null);

        assertEquals(400, notATime.status(), notATime.text());
        assertTrue(notATime.json().get("error").asText().startsWith("timeout:"), notATime.text());
        assertEquals(400, tooLong.status(), tooLong.text());
        assertTrue(tooLong.json().get("error").asText().contains("at most 5m"), tooLong.text());
        assertEquals(404, unknown.status(), unknown.text());
        assertFalse(unknown.text().contains("\n"));
    }
}
