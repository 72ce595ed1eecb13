package dev.loomstep.devserver;

import static dev.loomstep.devserver.FakeSdk.done;
import static dev.loomstep.devserver.FakeSdk.ops;
import static dev.loomstep.devserver.FakeSdk.waitFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.protocol.Json;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The REST endpoints the web UI is a client of: search, pages, rerun, replay, invoke, resync, consistent step states. */
@Timeout(30)
class RestApiForUiTest extends ScriptedDevServerTest {
    @Test
    void pagesThroughEveryRunWithTheCursorNewestFirst() throws Exception {
        sdk.fn("tick").on("test/tick").handler(c -> done(c.event().path("data").path("n").asInt()));
        sdk.sync(dev);
        var batch = Json.nodes().arrayNode();
        for (int i = 0; i < 25; i++) {
            batch.addObject().put("name", "test/tick").putObject("data").put("n", i);
        }
        api.request("POST", "/e/key", batch.toString());
        Api.await(() -> api.get("/v1/runs?status=Completed&limit=100").get("data"), d -> d.size() == 25, "25 runs");

        Set<String> seen = new HashSet<>();
        String cursor = null;
        int pages = 0;
        // Newest first by the list's default time field: a run's start, or its queued time before it starts
        // (runs of one batch may start in another order than they were queued).
        java.time.Instant previous = java.time.Instant.MAX;
        do {
            JsonNode page = api.get("/v1/runs?function=tick&limit=10" + (cursor == null ? "" : "&cursor=" + cursor));
            for (JsonNode r : page.get("data")) {
                assertTrue(seen.add(r.get("run_id").asText()), "no run twice");
                JsonNode started = r.get("run_started_at");
                java.time.Instant at = java.time.Instant.parse(started == null || started.isNull()
                        ? r.get("queued_at").asText() : started.asText());
                assertTrue(!at.isAfter(previous), "newest started first: " + at + " after " + previous);
                previous = at;
            }
            cursor = page.get("next_cursor").isNull() ? null : page.get("next_cursor").asText();
            pages++;
        } while (cursor != null);
        assertEquals(25, seen.size());
        assertEquals(3, pages);
    }

    @Test
    void findsRunsByOwnOrCompositeFunctionIdAndByRunOrEventId() throws Exception {
        sdk.fn("process-order").on("test/order").handler(c -> done("ok"));
        sdk.sync(dev);
        String event = api.send("test/order", Map.of());
        String run = api.runOf(event);
        api.awaitStatus(run, "Completed");

        for (String q : new String[] {"function=process-order", "function=app-process-order", "search=" + run, "search=" + event,
                "status=Completed,Failed", "from=2000-01-01T00:00:00Z"}) {
            JsonNode d = api.get("/v1/runs?" + q).get("data");
            assertEquals(1, d.size(), q);
            assertEquals(run, d.get(0).get("run_id").asText(), q);
        }
        assertEquals(0, api.get("/v1/runs?until=2000-01-01T00:00:00Z").get("data").size());
        assertEquals(0, api.get("/v1/runs?status=Failed").get("data").size());
    }

    @Test
    void refusesBadFiltersWithOneLineAndChangesNothing() {
        for (String q : new String[] {"cursor=nope", "from=yesterday", "status=Done", "limit=0",
                "from=2030-01-01T00:00:00Z&until=2020-01-01T00:00:00Z"}) {
            Api.Response r = api.request("GET", "/v1/runs?" + q, null);
            assertEquals(400, r.status(), q);
            assertFalse(r.text().contains("\n"), r.text());
        }
        assertEquals(404, api.request("POST", "/v1/runs/nope/rerun", "{}").status());
        assertEquals(404, api.request("POST", "/v1/events/nope/replay", "{}").status());
        assertEquals(404, api.request("POST", "/v1/functions/nope/invoke", "{}").status());
        assertEquals(404, api.request("POST", "/v1/apps/nope/resync", "{}").status());
        assertEquals(0, api.get("/v1/events").get("data").size(), "nothing was sent");
    }

    @Test
    void rerunReplayAndInvokeEachStartANewRun() throws Exception {
        sdk.fn("echo").on("test/echo").handler(c -> done(c.event().path("data").path("v")));
        sdk.sync(dev);
        String event = api.send("test/echo", Map.of("v", 5));
        String run = api.runOf(event);
        api.awaitStatus(run, "Completed");

        String rerun = api.request("POST", "/v1/runs/" + run + "/rerun", "{}").json().get("data").get("run_id").asText();
        assertEquals(event, api.awaitStatus(rerun, "Completed").get("event_id").asText());
        String replayed = api.request("POST", "/v1/events/" + event + "/replay", "{}").json().get("ids").get(0).asText();
        assertEquals(5, api.awaitStatus(api.runOf(replayed), "Completed").get("output").asInt());
        Api.Response invoked = api.request("POST", "/v1/functions/echo/invoke", "{\"data\": {\"v\": 9}}");
        assertEquals(9, api.awaitStatus(invoked.json().get("data").get("run_id").asText(), "Completed").get("output").asInt());
        assertEquals(400, api.request("POST", "/v1/functions/echo/invoke", "{\"data\": [1]}").status());
    }

    @Test
    void aCancelledRunsWaitIsCancelledNotWaitingAndKeepsWhatItWaitedFor() throws Exception {
        sdk.fn("approve").on("test/approve").handler(c -> ops(waitFor("wait", "test/approved", "1h", "event.data.id == async.data.id")));
        sdk.sync(dev);
        String run = api.runOf(api.send("test/approve", Map.of("id", 1)));
        JsonNode wait = Api.await(() -> api.run(run).get("steps"), s -> s.size() == 1, "the wait").get(0);
        assertEquals("waiting", wait.get("status").asText());
        assertEquals("test/approved", wait.get("wait").get("event").asText());
        assertEquals("event.data.id == async.data.id", wait.get("wait").get("expression").asText());
        assertFalse(wait.get("wait").get("timeout_at").isNull());

        api.request("POST", "/v1/runs/" + run + "/cancel", "{}");
        JsonNode after = api.run(run).get("steps").get(0);
        assertEquals("cancelled", after.get("status").asText());
        assertEquals("not matched", after.get("wait").get("outcome").asText());
        assertEquals("event.data.id == async.data.id", after.get("wait").get("expression").asText(), "kept after the pause is gone");
    }
}
