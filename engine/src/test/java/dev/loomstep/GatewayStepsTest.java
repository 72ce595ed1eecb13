package dev.loomstep;

import static dev.loomstep.Calls.body;
import static dev.loomstep.Calls.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.ai.AiModel;
import dev.loomstep.fetch.FetchRequest;
import dev.loomstep.fetch.FetchResponse;
import dev.loomstep.protocol.CallResult;
import dev.loomstep.protocol.Json;
import dev.loomstep.protocol.StepIds;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** step.fetch, step.ai().infer and step.ai().wrap: the ops they report and how their memoized results read back. */
class GatewayStepsTest {
    record Order(String id, int qty) {}

    static Loomstep app(Function<?, ?>... fns) {
        return Loomstep.builder("app").config(Config.from(Map.of("INNGEST_DEV", "1"))).functions(fns).build();
    }

    final Function<JsonNode, Object> fetching = Function.builder("fetching").trigger(Trigger.event("x")).handler((in, step) -> {
        FetchResponse res = step.fetch(FetchRequest.post("http://shop.test:8080/orders?x=1")
                .header("X-Trace", "t1").header("Content-Type", "application/json").body("{\"id\":\"o1\",\"qty\":2}"));
        return Map.of("status", res.statusCode(), "ok", res.ok(), "order", res.json(Order.class), "type", res.header("content-type").orElse("?"));
    });

    @Test
    void fetchReportsAGatewayOpNamedAfterTheHostWithLowerCasedSortedHeaders() {
        CallResult r = app(fetching).call("app-fetching", "step", request().build(), null);
        assertEquals(206, r.status());
        JsonNode op = body(r).get(0);
        assertEquals("Gateway", op.path("op").asText());
        assertEquals(StepIds.sha1Hex("step.fetch: shop.test"), op.path("id").asText());
        assertEquals("step.fetch: shop.test", op.path("displayName").asText());
        assertFalse(op.has("name"), "the JS SDK sends a Gateway op without a name: " + op);
        assertEquals(Json.mapper().createObjectNode().put("url", "http://shop.test:8080/orders?x=1").put("method", "POST")
                .<com.fasterxml.jackson.databind.node.ObjectNode>set("headers", Json.mapper().createObjectNode()
                        .put("content-type", "application/json").put("x-trace", "t1"))
                .put("body", "{\"id\":\"o1\",\"qty\":2}"), op.path("opts"));
        assertEquals(List.of("content-type", "x-trace"), names((op.path("opts").path("headers").fieldNames())));
    }

    @Test
    void fetchReturnsTheRecordedResponseWithItsJsonBodyAndHeaders() {
        var recorded = Json.mapper().createObjectNode().put("url", "http://shop.test:8080/orders?x=1");
        recorded.putObject("headers").put("Content-Type", "application/json");
        recorded.put("body", "{\"id\":\"o1\",\"qty\":2}").put("status_code", 201);
        CallResult r = app(fetching).call("app-fetching", "step", request()
                .raw(StepIds.sha1Hex("step.fetch: shop.test"), Json.nodes().objectNode().set("data", recorded)).build(), null);
        assertEquals(200, r.status());
        JsonNode out = body(r);
        assertEquals(201, out.path("status").asInt());
        assertTrue(out.path("ok").asBoolean());
        assertEquals("o1", out.path("order").path("id").asText());
        assertEquals("application/json", out.path("type").asText(), "headers are read case-insensitively");
    }

    @Test
    void aFetchThatFailedForGoodSurfacesAsStepFailedException() {
        var caught = Function.builder("caught").trigger(Trigger.event("x")).handler((in, step) -> {
            try {
                step.fetch("down", FetchRequest.get("http://127.0.0.1:9/"));
                return "no error";
            } catch (StepFailedException e) {
                return e.errorName() + ": " + e.errorMessage();
            }
        });
        CallResult r = app(caught).call("app-caught", "step", request().memoError("down", "GatewayError", "Error making gateway request: refused").build(), null);
        assertEquals("GatewayError: Error making gateway request: refused", body(r).asText());
    }

    @Test
    void fetchRefusesARelativeOrNonHttpUrlBeforeAnythingIsReported() {
        assertThrows(IllegalArgumentException.class, () -> FetchRequest.get("/orders"));
        assertThrows(IllegalArgumentException.class, () -> FetchRequest.get("ftp://shop.test/x"));
    }

    final Function<JsonNode, Object> asks = Function.builder("asks").trigger(Trigger.event("x")).handler((in, step) -> {
        JsonNode gpt = step.ai().infer("gpt", AiModel.openai("gpt-4o-mini").apiKey("sk-1").baseUrl("http://llm.test/v1"),
                Map.of("messages", List.of(Map.of("role", "user", "content", "hi"))));
        JsonNode claude = step.ai().infer("claude", AiModel.anthropic("claude-3-5-haiku-latest").apiKey("ak-1")
                .baseUrl("http://llm.test/v1/").betaHeaders(List.of("a", "b")), Map.of("max_tokens", 64, "messages", List.of()));
        JsonNode gemini = step.ai().infer("gemini", AiModel.gemini("gemini-1.5-flash").apiKey("gk-1").baseUrl("http://llm.test/v1beta"),
                Map.of("contents", List.of()));
        return Map.of("gpt", gpt, "claude", claude, "gemini", gemini);
    });

    @Test
    void inferReportsAnAiGatewayOpPerProviderWithItsUrlAuthFormatAndBody() {
        JsonNode gpt = body(app(asks).call("app-asks", "step", request().build(), null)).get(0);
        assertEquals("AIGateway", gpt.path("op").asText());
        assertEquals(StepIds.sha1Hex("gpt"), gpt.path("id").asText());
        assertEquals("gpt", gpt.path("displayName").asText());
        assertFalse(gpt.has("name"));
        JsonNode o = gpt.path("opts");
        assertEquals(List.of("type", "url", "auth_key", "format", "body"), names((o.fieldNames())),
                "no headers for OpenAI, as the JS SDK's adapter: " + o);
        assertEquals("step.ai.infer", o.path("type").asText());
        assertEquals("http://llm.test/v1/chat/completions", o.path("url").asText());
        assertEquals("sk-1", o.path("auth_key").asText());
        assertEquals("openai-chat", o.path("format").asText());
        assertEquals("gpt-4o-mini", o.path("body").path("model").asText(), "the model goes into the body");

        JsonNode claude = body(app(asks).call("app-asks", "step", request().memo("gpt", Map.of("id", "c1")).build(), null)).get(0);
        JsonNode c = claude.path("opts");
        assertEquals("http://llm.test/v1/messages", c.path("url").asText());
        assertEquals("anthropic", c.path("format").asText());
        assertEquals("2023-06-01", c.path("headers").path("anthropic-version").asText());
        assertEquals("a,b", c.path("headers").path("anthropic-beta").asText());
        assertEquals("claude-3-5-haiku-latest", c.path("body").path("model").asText());

        JsonNode gemini = body(app(asks).call("app-asks", "step", request().memo("gpt", Map.of("id", "c1"))
                .memo("claude", Map.of("id", "m1")).build(), null)).get(0);
        JsonNode g = gemini.path("opts");
        assertEquals("http://llm.test/v1beta/models/gemini-1.5-flash:generateContent?key=gk-1", g.path("url").asText());
        assertEquals("gemini", g.path("format").asText());
        assertTrue(g.path("headers").isObject() && g.path("headers").isEmpty(), g.toString());
        assertFalse(g.path("body").has("model"), "Gemini names the model in the URL, not the body");
    }

    @Test
    void inferReturnsTheProviderResponseItRecorded() {
        CallResult r = app(asks).call("app-asks", "step", request().memo("gpt", Map.of("id", "c1"))
                .memo("claude", Map.of("id", "m1")).memo("gemini", Map.of("id", "g1")).build(), null);
        assertEquals(200, r.status());
        assertEquals("m1", body(r).path("claude").path("id").asText());
    }

    @Test
    void aModelRefusesABaseUrlThatIsNotAnAbsoluteHttpUrlWithOneClearLine() {
        for (String bad : List.of("not a url", "/v1/", "ftp://llm.test/v1/")) {
            var e = assertThrows(IllegalArgumentException.class, () -> AiModel.openai("m").baseUrl(bad));
            assertEquals("an AI model's baseUrl must be an absolute http(s) URL, got \"" + bad + "\"", e.getMessage());
        }
    }

    @Test
    void theApiKeyNeverShowsInTheModelsText() {
        assertFalse(AiModel.openai("m").apiKey("sk-secret").toString().contains("sk-secret"));
    }

    record Summary(String text) {}

    final AtomicInteger wrapCalls = new AtomicInteger();
    final Function<JsonNode, Object> wraps = Function.builder("wraps").trigger(Trigger.event("x")).handler((in, step) ->
            step.ai().wrap("summarize", Summary.class, (String text) -> {
                wrapCalls.incrementAndGet();
                return new Summary(text.toUpperCase());
            }, "hello"));

    @Test
    void wrapRunsAtOnceAndReportsItsInputWithTheStepRun() {
        CallResult r = app(wraps).call("app-wraps", "step", request().build(), null);
        JsonNode op = body(r).get(0);
        assertEquals("StepRun", op.path("op").asText());
        assertEquals("summarize", op.path("name").asText());
        assertEquals(Json.mapper().createObjectNode().<com.fasterxml.jackson.databind.node.ObjectNode>set("input",
                Json.mapper().createArrayNode().add("hello")).put("type", "step.ai.wrap"), op.path("opts"));
        assertEquals("HELLO", op.path("data").path("text").asText());
        assertEquals(1, wrapCalls.get());
    }

    @Test
    void wrapIsPlannedWithItsInputWhenImmediateExecutionIsOff() {
        JsonNode op = body(app(wraps).call("app-wraps", "step", request().disableImmediateExecution().build(), null)).get(0);
        assertEquals("StepPlanned", op.path("op").asText());
        assertEquals("step.ai.wrap", op.path("opts").path("type").asText());
        assertEquals("hello", op.path("opts").path("input").get(0).asText());
        assertEquals(0, wrapCalls.get());
    }

    @Test
    void wrapIsNotRunAgainOnReplay() {
        CallResult r = app(wraps).call("app-wraps", "step", request().memo("summarize", Map.of("text", "HI")).build(), null);
        assertEquals("HI", body(r).path("text").asText());
        assertEquals(0, wrapCalls.get());
    }

    private static List<String> names(java.util.Iterator<String> it) {
        var list = new java.util.ArrayList<String>();
        it.forEachRemaining(list::add);
        return list;
    }
}
