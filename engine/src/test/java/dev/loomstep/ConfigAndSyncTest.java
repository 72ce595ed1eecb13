package dev.loomstep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.flow.BatchEvents;
import dev.loomstep.flow.CancelOn;
import dev.loomstep.flow.Concurrency;
import dev.loomstep.flow.Debounce;
import dev.loomstep.flow.RateLimit;
import dev.loomstep.flow.Singleton;
import dev.loomstep.flow.Throttle;
import dev.loomstep.flow.Timeouts;
import dev.loomstep.protocol.Json;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConfigAndSyncTest {
    @Test
    void devModeComesFromInngestDev() {
        Config c = Config.from(Map.of("INNGEST_DEV", "1"));
        assertTrue(c.dev());
        assertEquals("http://localhost:8288", c.apiOrigin());
        assertEquals("http://localhost:8288", c.eventApiOrigin());
        assertEquals("dev", c.mode());
        Config at = Config.from(Map.of("INNGEST_DEV", "http://127.0.0.1:9999/"));
        assertEquals("http://127.0.0.1:9999", at.apiOrigin());
    }

    @Test
    void cloudModeUsesTheCloudOriginsAndTheKeys() {
        Config c = Config.from(Map.of("INNGEST_SIGNING_KEY", "signkey-prod-abc", "INNGEST_SIGNING_KEY_FALLBACK", "signkey-prod-def",
                "INNGEST_EVENT_KEY", "ek", "INNGEST_ENV", "branch-1", "INNGEST_SERVE_ORIGIN", "https://app.example.com/", "INNGEST_SERVE_PATH", "/api/inngest"));
        assertFalse(c.dev());
        assertEquals("https://api.inngest.com", c.apiOrigin());
        assertEquals("https://inn.gs", c.eventApiOrigin());
        assertEquals("signkey-prod-abc", c.signingKey());
        assertEquals("signkey-prod-def", c.signingKeyFallback());
        assertEquals("branch-1", c.env());
        assertEquals("https://app.example.com", c.serveOrigin());
        assertEquals("cloud", c.mode());
    }

    @Test
    void baseUrlAndSpecificOriginsOverrideDefaults() {
        Config c = Config.from(Map.of("INNGEST_BASE_URL", "http://inngest:8288", "INNGEST_EVENT_API_BASE_URL", "http://events:8288"));
        assertEquals("http://inngest:8288", c.apiOrigin());
        assertEquals("http://events:8288", c.eventApiOrigin());
    }

    @Test
    void cloudModeFromTheBuilderLeavesTheDefaultDevServerBehind() {
        var stray = Loomstep.builder("app").config(Config.from(Map.of("INNGEST_DEV", "1"))).cloud().build();
        assertFalse(stray.config().dev());
        assertEquals("https://api.inngest.com", stray.config().apiOrigin());
        assertEquals("https://inn.gs", stray.config().eventApiOrigin());
        var selfHosted = Loomstep.builder("app").config(Config.from(Map.of("INNGEST_BASE_URL", "http://inngest:8288"))).cloud().build();
        assertEquals("http://inngest:8288", selfHosted.config().apiOrigin());
        assertEquals("http://inngest:8288", selfHosted.config().eventApiOrigin());
    }

    @Test
    void builderOverridesWinOverTheEnvironment() {
        var app = Loomstep.builder("app").config(Config.from(Map.of())).dev("http://127.0.0.1:1234").eventKey("k").build();
        assertTrue(app.config().dev());
        assertEquals("http://127.0.0.1:1234", app.config().eventApiOrigin());
        assertEquals("k", app.config().eventKey());
    }

    @Test
    void everyFunctionOptionIsSerialisedAsTheSpecsFunctionConfig() {
        var fn = Function.builder("flow").name("Flow control").trigger(Trigger.event("app/order.created", "event.data.total > 10"))
                .trigger(Trigger.cron("TZ=Europe/Paris 0 9 * * *"))
                .retries(5)
                .concurrency(Concurrency.perKey(2, "event.data.user_id"))
                .rateLimit(RateLimit.of(10, Duration.ofMinutes(1)))
                .throttle(Throttle.of(3, Duration.ofSeconds(30)))
                .debounce(new Debounce(Duration.ofSeconds(5), "event.data.user_id", Duration.ofMinutes(1)))
                .batchEvents(BatchEvents.of(100, Duration.ofSeconds(10)))
                .cancelOn(CancelOn.event("app/order.cancelled").ifExpression("event.data.id == async.data.id").timeout(Duration.ofHours(1)))
                .priority("event.data.vip ? 120 : 0")
                .idempotency("event.data.order_id")
                .timeouts(new Timeouts(Duration.ofMinutes(5), Duration.ofHours(2)))
                .singleton(new Singleton("event.data.user_id", Singleton.Mode.skip))
                .onFailure((input, step) -> "handled " + input.data().functionId())
                .handler((input, step) -> null);
        var app = Loomstep.builder("shop").config(Config.from(Map.of("INNGEST_DEV", "1"))).functions(fn).build();
        JsonNode sync = Json.toTree(app.syncRequest("http://localhost:3000/api/inngest", "undertow"));
        assertEquals("shop", sync.get("appName").asText());
        assertEquals("loomstep:v0.1.0", sync.get("sdk").asText());
        assertEquals("http://localhost:3000/api/inngest", sync.get("url").asText());
        JsonNode f = sync.get("functions").get(0);
        assertEquals("shop-flow", f.get("id").asText());
        assertEquals("Flow control", f.get("name").asText());
        assertEquals("[{\"event\":\"app/order.created\",\"expression\":\"event.data.total > 10\"},{\"cron\":\"TZ=Europe/Paris 0 9 * * *\"}]", f.get("triggers").toString());
        JsonNode step = f.get("steps").get("step");
        assertEquals("http://localhost:3000/api/inngest?fnId=shop-flow&stepId=step", step.get("runtime").get("url").asText());
        assertEquals("http", step.get("runtime").get("type").asText());
        assertEquals(5, step.get("retries").get("attempts").asInt());
        assertEquals("[{\"limit\":2,\"key\":\"event.data.user_id\"}]", f.get("concurrency").toString());
        assertEquals("{\"limit\":10,\"period\":\"1m\"}", f.get("rateLimit").toString());
        assertEquals("{\"limit\":3,\"period\":\"30s\"}", f.get("throttle").toString());
        assertEquals("{\"period\":\"5s\",\"key\":\"event.data.user_id\",\"timeout\":\"1m\"}", f.get("debounce").toString());
        assertEquals("{\"maxSize\":100,\"timeout\":\"10s\"}", f.get("batchEvents").toString());
        assertEquals("[{\"event\":\"app/order.cancelled\",\"if\":\"event.data.id == async.data.id\",\"timeout\":\"1h\"}]", f.get("cancel").toString());
        assertEquals("{\"run\":\"event.data.vip ? 120 : 0\"}", f.get("priority").toString());
        assertEquals("event.data.order_id", f.get("idempotency").asText());
        assertEquals("{\"start\":\"5m\",\"finish\":\"2h\"}", f.get("timeouts").toString());
        assertEquals("{\"key\":\"event.data.user_id\",\"mode\":\"skip\"}", f.get("singleton").toString());

        JsonNode failure = sync.get("functions").get(1);
        assertEquals("shop-flow-failure", failure.get("id").asText());
        assertEquals("Flow control (failure)", failure.get("name").asText());
        assertEquals("[{\"event\":\"inngest/function.failed\",\"expression\":\"event.data.function_id == 'shop-flow'\"}]", failure.get("triggers").toString());
        assertEquals(1, failure.get("steps").get("step").get("retries").get("attempts").asInt());
    }

    @Test
    void theOnFailureHandlerRunsAsItsOwnFunction() {
        var fn = Function.builder("flaky").trigger(Trigger.event("x"))
                .onFailure((input, step) -> "cleanup for " + input.data().functionId() + " " + input.data().error().message())
                .handler((input, step) -> null);
        var app = Loomstep.builder("shop").config(Config.from(Map.of("INNGEST_DEV", "1"))).functions(fn).build();
        var req = Calls.request().data(Map.of("function_id", "shop-flaky", "run_id", "r1",
                "error", Map.of("name", "Error", "message", "it broke"), "event", Map.of("name", "x", "data", Map.of()))).build();
        assertEquals("\"cleanup for shop-flaky it broke\"", new String(app.call("shop-flaky-failure", "step", req, null).body()));
    }

    @Test
    void anOnFailureHandlerMayHaveMoreRetriesThanTheOneJsGivesIt() {
        var fn = Function.builder("compensated").trigger(Trigger.event("x"))
                .onFailure((input, step) -> "undone", 6)
                .handler((input, step) -> null);
        var app = Loomstep.builder("shop").config(Config.from(Map.of("INNGEST_DEV", "1"))).functions(fn).build();
        JsonNode failure = Json.toTree(app.syncRequest("http://localhost:3000/api/inngest", "undertow")).get("functions").get(1);
        assertEquals("shop-compensated-failure", failure.get("id").asText());
        assertEquals(6, failure.get("steps").get("step").get("retries").get("attempts").asInt());
        var e = assertThrows(IllegalArgumentException.class,
                () -> Function.builder("f").onFailure((input, step) -> null, 21));
        assertEquals("onFailure retries must be between 0 and 20, got 21", e.getMessage());
    }

    @Test
    void definitionsAreCheckedWithActionableMessages() {
        var e = assertThrows(IllegalStateException.class, () -> Function.builder("f").handler((i, s) -> null));
        assertTrue(e.getMessage().contains("has no trigger"));
        assertThrows(IllegalArgumentException.class, () -> Function.builder("bad id!"));
        assertThrows(IllegalArgumentException.class, () -> Function.builder("f").retries(21));
        var dup = Function.builder("f").trigger(Trigger.event("x")).handler((i, s) -> null);
        var e2 = assertThrows(IllegalArgumentException.class, () -> Loomstep.builder("a").functions(dup, dup).build());
        assertTrue(e2.getMessage().contains("two functions share the id \"a-f\""));
    }
}
