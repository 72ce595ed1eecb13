package dev.loomstep.devserver;

import static dev.loomstep.devserver.FakeSdk.done;
import static dev.loomstep.devserver.FakeSdk.ops;
import static dev.loomstep.devserver.FakeSdk.stepRun;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.protocol.Json;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The event API, syncs and the REST API, over real HTTP. */
@Timeout(30)
class HttpApiTest extends ScriptedDevServerTest {
    @Test
    void acceptsOneEventOrAnArrayAndFillsIdsAndTimestamps() {
        Api.Response one = api.request("POST", "/e/key", "{\"name\":\"test/a\",\"data\":{\"x\":1}}");
        Api.Response many = api.request("POST", "/e/key", "[{\"name\":\"test/b\"},{\"name\":\"test/c\",\"id\":\"mine\",\"ts\":42}]");

        assertEquals(200, one.status());
        assertEquals(200, one.json().get("status").asInt());
        String id = one.json().get("ids").get(0).asText();
        assertEquals(26, id.length(), "a ULID");
        assertEquals(2, many.json().get("ids").size());
        assertEquals("mine", many.json().get("ids").get(1).asText());
        JsonNode stored = api.get("/v1/events/" + id).get("data");
        assertEquals("test/a", stored.get("name").asText());
        assertTrue(stored.get("ts").asLong() > 0);
        assertEquals(42, api.get("/v1/events/mine").get("data").get("ts").asLong());
        String second = many.json().get("ids").get(0).asText();
        assertTrue(second.compareTo(id) > 0, "ULIDs sort in creation order");
    }

    @Test
    void rejectsMalformedEventsWithAOneLineErrorAndKeepsNoneOfTheBatch() {
        for (String bad : new String[] {"{not json", "42", "[]", "{\"data\":{}}", "{\"name\":\"\"}",
                "{\"name\":\"x\",\"data\":[1]}", "[{\"name\":\"ok/1\"},{\"nope\":true}]"}) {
            Api.Response r = api.request("POST", "/e/key", bad);
            assertEquals(400, r.status(), bad);
            assertEquals(400, r.json().get("status").asInt());
            assertFalse(r.json().get("error").asText().isBlank());
            assertFalse(r.text().contains("\n"), "one line: " + r.text());
            assertFalse(r.text().contains("Exception"), "no stack traces: " + r.text());
        }
        assertEquals(0, api.get("/v1/events").get("data").size());
    }

    @Test
    void aRepeatedEventIdDoesNotTriggerAgain() throws Exception {
        sdk.fn("once").on("test/once").handler(c -> done("ok"));
        sdk.sync(dev);
        String body = "{\"name\":\"test/once\",\"id\":\"evt-1\"}";

        api.request("POST", "/e/key", body);
        String runId = api.runOf("evt-1");
        api.awaitStatus(runId, "Completed");
        Api.Response again = api.request("POST", "/e/key", body);
        api.send("test/once", Map.of()); // a later event is processed after the repeat

        assertEquals("evt-1", again.json().get("ids").get(0).asText());
        Api.await(() -> api.get("/v1/runs?function=app-once").get("data"), d -> d.size() == 2, "the later event's run");
        assertEquals(1, api.get("/v1/events/evt-1/runs").get("data").size());
    }

    @Test
    void matchesWildcardTriggersAndTriggerExpressions() throws Exception {
        sdk.fn("all").on("shop/*").handler(c -> done(c.event().get("name")));
        sdk.fn("big").on("shop/order", "event.data.size == 'big'").handler(c -> done("big"));
        sdk.sync(dev);

        String small = api.send("shop/order", Map.of("size", "small"));
        String big = api.send("shop/order", Map.of("size", "big"));
        api.send("other/order", Map.of("size", "big"));

        Api.await(() -> api.get("/v1/events/" + big + "/runs").get("data"), d -> d.size() == 2, "two runs for the big order");
        assertEquals(1, api.get("/v1/events/" + small + "/runs").get("data").size());
        Api.await(() -> api.get("/v1/runs?status=Completed").get("data"), d -> d.size() == 3, "three completed runs");
    }

    @Test
    void syncAnswersLikeTheInngestDevServerAndAReSyncReplacesTheAppsFunctions() throws Exception {
        sdk.fn("one").on("test/one");
        sdk.fn("two").on("test/two");

        JsonNode first = sdk.sync(dev);
        JsonNode same = sdk.sync(dev);

        assertTrue(first.get("ok").asBoolean());
        assertTrue(first.get("modified").asBoolean());
        assertFalse(same.get("modified").asBoolean());
        assertEquals(2, api.get("/v1/functions").get("data").size());

        try (FakeSdk smaller = new FakeSdk("app")) {
            smaller.fn("one").on("test/one-renamed").retries(5);
            smaller.sync(dev);
        }
        JsonNode fns = api.get("/v1/functions").get("data");
        assertEquals(1, fns.size());
        assertEquals("app-one", fns.get(0).get("id").asText());
        assertEquals("test/one-renamed", fns.get(0).get("triggers").get(0).get("event").asText());
        assertEquals(5, fns.get(0).get("retries").asInt());
        JsonNode apps = api.get("/v1/apps").get("data");
        assertEquals(1, apps.size());
        assertEquals(1, apps.get(0).get("function_count").asInt());
    }

    @Test
    void refusesInvalidSyncsWithAReason() {
        Api.Response noName = api.request("POST", "/fn/register", "{\"url\":\"http://x\",\"functions\":[]}");
        Api.Response noUrl = api.request("POST", "/fn/register",
                "{\"appName\":\"a\",\"url\":\"http://x\",\"functions\":[{\"id\":\"a-f\",\"triggers\":[{\"event\":\"e\"}]}]}");
        Api.Response concurrencyAsNumber = api.request("POST", "/fn/register",
                "{\"appName\":\"a\",\"url\":\"http://x\",\"functions\":[{\"id\":\"a-f\",\"concurrency\":5,"
                        + "\"steps\":{\"step\":{\"id\":\"step\",\"runtime\":{\"type\":\"http\",\"url\":\"http://x/api?fnId=a-f&stepId=step\"}}}}]}");

        assertEquals(400, noName.status());
        assertTrue(noName.json().get("error").asText().contains("appName"));
        assertEquals(400, noUrl.status());
        assertTrue(noUrl.json().get("error").asText().contains("url"), noUrl.text());
        assertEquals(200, concurrencyAsNumber.status(), concurrencyAsNumber.text());
    }

    @Test
    void takesTheAppNameInAnyCaseAsTheInngestServerDoes() {
        // The Python SDK sends "appname"; Go's JSON decoding matches the Inngest server's "appName" regardless of case.
        Api.Response lower = api.request("POST", "/fn/register", "{\"appname\":\"py\",\"url\":\"http://127.0.0.1:9/api/inngest\","
                + "\"functions\":[{\"id\":\"py-f\",\"triggers\":[{\"event\":\"e\"}],\"steps\":{\"step\":{\"id\":\"step\","
                + "\"runtime\":{\"type\":\"http\",\"url\":\"http://127.0.0.1:9/api/inngest?fnId=py-f&stepId=step\"}}}}]}");

        assertEquals(200, lower.status(), lower.text());
        assertEquals("py", api.get("/v1/apps").get("data").get(0).get("id").asText());
    }

    @Test
    void refusesSyncsWithExpressionsOrSchedulesThatCannotWork() throws Exception {
        try (FakeSdk badExpr = new FakeSdk("bad"); FakeSdk badCron = new FakeSdk("cron")) {
            badExpr.fn("f").on("test/f", "event.data.x ==");
            badCron.fn("g").handler(c -> done(null)).triggers.add(new dev.loomstep.protocol.SyncRequest.TriggerConfig(null, null, "61 * * * *"));

            Api.Response expr = api.request("POST", "/fn/register", Json.toString(badExpr.syncRequest()));
            Api.Response cron = api.request("POST", "/fn/register", Json.toString(badCron.syncRequest()));

            assertEquals(400, expr.status());
            assertTrue(expr.json().get("error").asText().contains("bad-f"), expr.text());
            assertTrue(expr.json().get("error").asText().contains("event.data.x =="), expr.text());
            assertEquals(400, cron.status());
            assertTrue(cron.json().get("error").asText().contains("61 * * * *"), cron.text());
            assertEquals(0, api.get("/v1/functions").get("data").size(), "nothing of a refused sync is kept");
        }
    }

    @Test
    void refusesASyncThatExpectsACloudServer() {
        try (var client = java.net.http.HttpClient.newHttpClient()) {
            var res = client.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(dev.url() + "/fn/register"))
                    .header("X-Inngest-Expected-Server-Kind", "cloud")
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(Json.toBytes(sdk.syncRequest()))).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertEquals(400, res.statusCode());
            assertTrue(res.body().contains("dev server"));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void listsRunsNewestFirstWithFilters() throws Exception {
        sdk.fn("ok").on("test/ok").handler(c -> done(1));
        sdk.fn("bad").on("test/bad").retries(0).handler(c -> FakeSdk.fail(400, "Error", "no", true));
        sdk.sync(dev);
        String r1 = api.runOf(api.send("test/ok", Map.of()));
        api.awaitStatus(r1, "Completed");
        String r2 = api.runOf(api.send("test/ok", Map.of()));
        api.awaitStatus(r2, "Completed");
        String r3 = api.runOf(api.send("test/bad", Map.of()));
        api.awaitStatus(r3, "Failed");

        JsonNode all = api.get("/v1/runs").get("data");
        JsonNode completed = api.get("/v1/runs?status=Completed&function=app-ok").get("data");
        JsonNode failed = api.get("/v1/runs?status=failed").get("data");

        assertEquals(r3, all.get(0).get("run_id").asText());
        assertEquals(2, completed.size());
        assertEquals(r2, completed.get(0).get("run_id").asText());
        assertEquals(r1, completed.get(1).get("run_id").asText());
        assertEquals(1, failed.size());
        assertEquals(400, api.request("GET", "/v1/runs?status=Sleeping", null).status());
    }

    @Test
    void servesEventsAndStepsForSdksInUseApiMode() throws Exception {
        sdk.fn("f").on("test/f").handler(c -> c.has("a") ? done("x") : ops(stepRun("a", Map.of("k", "v"))));
        sdk.sync(dev);
        String eventId = api.send("test/f", Map.of("n", 1));
        String runId = api.runOf(eventId);
        api.awaitStatus(runId, "Completed");

        JsonNode batch = api.get("/v0/runs/" + runId + "/batch");
        JsonNode actions = api.get("/v0/runs/" + runId + "/actions");

        assertEquals(eventId, batch.get(0).get("id").asText());
        assertEquals("v", actions.get(FakeSdk.hash("a")).get("data").get("k").asText());
        assertEquals(404, api.request("GET", "/v0/runs/nope/actions", null).status());
    }

    @Test
    void answersHealthAndUnknownRoutesAsJson() {
        assertEquals("OK", api.get("/health").get("message").asText());
        Api.Response missing = api.request("GET", "/nope", null);
        Api.Response wrongMethod = api.request("GET", "/e/key", null);

        assertEquals(404, missing.status());
        assertTrue(missing.json().get("error").asText().contains("/nope"));
        assertNotEquals(200, wrongMethod.status());
        assertTrue(wrongMethod.json().has("error"));
    }
}
