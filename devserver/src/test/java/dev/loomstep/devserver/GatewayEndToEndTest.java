package dev.loomstep.devserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Checkpointing;
import dev.loomstep.Function;
import dev.loomstep.StepFailedException;
import dev.loomstep.Trigger;
import dev.loomstep.ai.AiModel;
import dev.loomstep.fetch.FetchRequest;
import dev.loomstep.fetch.FetchResponse;
import dev.loomstep.testkit.FakeModelProviders;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * step.fetch and the AI steps of a real Loomstep app, executed by the devserver over loopback: the
 * devserver makes the request (to {@link FakeModelProviders}), records the response as the step's
 * result, retries a failed request per the function's retries, and shows the request and the token
 * usage on the run's steps. Both checkpointing modes, as {@code LoomstepEndToEndTest}.
 */
class GatewayEndToEndTest {

    @Nested
    class WithCheckpointing extends Scenarios {
        WithCheckpointing() {
            super(Checkpointing.defaults());
        }
    }

    @Nested
    class WithoutCheckpointing extends Scenarios {
        WithoutCheckpointing() {
            super(Checkpointing.off());
        }
    }

    @Timeout(60)
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    abstract static class Scenarios {
        private final Checkpointing checkpointing;
        DevServer dev;
        LoomstepDevServer fixture;
        FakeModelProviders fakes;
        Api api;
        final AtomicInteger wrapCalls = new AtomicInteger();

        Scenarios(Checkpointing checkpointing) {
            this.checkpointing = checkpointing;
        }

        @BeforeAll
        void start() throws Exception {
            fakes = FakeModelProviders.start();
            var fetches = Function.builder("fetches").trigger(Trigger.event("gw/fetch")).retries(2).handler((in, step) -> {
                String path = in.data().path("path").asText();
                try {
                    FetchResponse res = step.fetch(FetchRequest.post(fakes.origin() + path)
                            .header("X-Trace", "t-1").header("Content-Type", "application/json").body("{\"q\":1}"));
                    Map<String, Object> out = new LinkedHashMap<>();
                    out.put("status", res.statusCode());
                    out.put("echo", res.ok() ? res.json(JsonNode.class) : null);
                    out.put("x-echo", res.header("x-echo").orElse(null));
                    out.put("after", step.run("after", String.class, () -> "ran after the fetch"));
                    return out;
                } catch (StepFailedException e) {
                    return Map.of("failed", e.errorName() + ": " + e.errorMessage());
                }
            });
            var asks = Function.builder("asks").trigger(Trigger.event("gw/ask")).retries(2).handler((in, step) -> {
                String question = in.data().path("q").asText();
                JsonNode gpt = step.ai().infer("gpt", AiModel.openai("gpt-4o-mini").apiKey(FakeModelProviders.KEY).baseUrl(fakes.openaiBase()),
                        Map.of("messages", List.of(Map.of("role", "user", "content", question))));
                JsonNode claude = step.ai().infer("claude", AiModel.anthropic("claude-3-5-haiku-latest").apiKey(FakeModelProviders.KEY)
                        .baseUrl(fakes.anthropicBase()), Map.of("max_tokens", 64, "messages", List.of(Map.of("role", "user", "content", question))));
                JsonNode gemini = step.ai().infer("gemini", AiModel.gemini("gemini-1.5-flash").apiKey(FakeModelProviders.KEY)
                        .baseUrl(fakes.geminiBase()), Map.of("contents", List.of(Map.of("role", "user", "parts", List.of(Map.of("text", question))))));
                String shout = step.ai().wrap("shout", String.class, (String text) -> {
                    wrapCalls.incrementAndGet();
                    return text.toUpperCase();
                }, gpt.at("/choices/0/message/content").asText());
                return Map.of("gpt", gpt.at("/choices/0/message/content").asText(), "claude", claude.at("/content/0/text").asText(),
                        "gemini", gemini.at("/candidates/0/content/parts/0/text").asText(), "shout", shout);
            });
            var badKey = Function.builder("bad-key").trigger(Trigger.event("gw/bad-key")).retries(1).handler((in, step) -> {
                try {
                    return step.ai().infer("gpt", AiModel.openai("gpt-4o-mini").apiKey("wrong").baseUrl(fakes.openaiBase()),
                            Map.of("messages", List.of())).toString();
                } catch (StepFailedException e) {
                    return e.errorName() + ": " + e.errorMessage();
                }
            });
            fixture = LoomstepDevServer.builder("gw").app(b -> b.checkpointing(checkpointing)).start(fetches, asks, badKey);
            dev = fixture.dev;
            api = fixture.api;
        }

        @BeforeEach
        void clear() {
            fakes.clear();
        }

        @AfterAll
        void stop() {
            if (fixture != null) {
                fixture.close();
            }
            if (fakes != null) {
                fakes.close();
            }
        }

        @Test
        void fetchIsMadeByTheDevserverAndItsResponseIsTheStepResult() {
            JsonNode run = api.awaitStatus(api.runOf(api.send("gw/fetch", Map.of("path", "/echo/orders?x=1"))), "Completed");

            JsonNode out = run.get("output");
            assertEquals(200, out.get("status").asInt(), run.toString());
            assertEquals("POST", out.at("/echo/method").asText());
            assertEquals("x=1", out.at("/echo/query").asText());
            assertEquals("{\"q\":1}", out.at("/echo/body").asText());
            assertEquals("t-1", out.at("/echo/headers/x-trace").asText(), "the SDK's headers reach the target");
            assertEquals("yes", out.get("x-echo").asText(), "the response headers are recorded");
            assertEquals("ran after the fetch", out.get("after").asText());
            assertEquals(1, fakes.received("/echo").size(), "made once: " + fakes.received());
            JsonNode fetch = run.get("steps").get(0);
            assertEquals("step.fetch: 127.0.0.1", fetch.get("name").asText(), run.toString());
            assertEquals("Gateway", fetch.get("op").asText());
            assertEquals("completed", fetch.get("status").asText());
            assertEquals("POST", fetch.at("/fetch/method").asText());
            assertEquals(fakes.origin() + "/echo/orders?x=1", fetch.at("/fetch/url").asText());
            assertEquals(200, fetch.at("/fetch/status_code").asInt());
        }

        @Test
        void aNotFoundIsAResponseNotAFailure() {
            JsonNode run = api.awaitStatus(api.runOf(api.send("gw/fetch", Map.of("path", "/nothing-here"))), "Completed");

            assertEquals(404, run.get("output").get("status").asInt(), run.toString());
            assertEquals(1, run.get("steps").get(0).get("attempts").asInt());
        }

        @Test
        void aFetchWithoutAnAnswerIsRetriedPerTheFunctionsRetries() {
            fakes.dropNext("/echo/flaky", 2);
            JsonNode run = api.awaitStatus(api.runOf(api.send("gw/fetch", Map.of("path", "/echo/flaky"))), "Completed");

            assertEquals(200, run.get("output").get("status").asInt(), run.toString());
            JsonNode fetch = run.get("steps").get(0);
            assertEquals(3, fetch.get("attempts").asInt(), run.toString());
            assertEquals(2, fetch.get("attempt_errors").size());
            assertEquals("GatewayError", fetch.at("/attempt_errors/0/error/name").asText());
            assertTrue(fetch.at("/attempt_errors/0/error/message").asText().startsWith("Error making gateway request: "), fetch.toString());
            assertEquals(3, fakes.received("/echo/flaky").size());
        }

        @Test
        void aFetchThatNeverGetsAnAnswerFailsTheStepForTheFunctionToCatch() {
            fakes.dropNext("/echo/down", 10);
            JsonNode run = api.awaitStatus(api.runOf(api.send("gw/fetch", Map.of("path", "/echo/down"))), "Completed");

            assertTrue(run.get("output").get("failed").asText().startsWith("GatewayError: Error making gateway request: "), run.toString());
            JsonNode fetch = run.get("steps").get(0);
            assertEquals("failed", fetch.get("status").asText());
            assertEquals(3, fetch.get("attempts").asInt(), "retries(2): three attempts, " + run);
            assertEquals(3, fakes.received("/echo/down").size());
        }

        @Test
        void inferCallsEachProviderWithItsAuthAndShowsTheTokenUsage() {
            JsonNode run = api.awaitStatus(api.runOf(api.send("gw/ask", Map.of("q", "hello"))), "Completed");

            JsonNode out = run.get("output");
            assertEquals("echo: hello", out.get("gpt").asText(), run.toString());
            assertEquals("echo: hello", out.get("claude").asText());
            assertEquals("echo: hello", out.get("gemini").asText());
            assertEquals("ECHO: HELLO", out.get("shout").asText());

            var openai = fakes.received("/openai").get(0);
            assertEquals("Bearer " + FakeModelProviders.KEY, openai.headers().get("authorization"));
            assertEquals("application/json", openai.headers().get("content-type"));
            assertEquals("gpt-4o-mini", openai.json().get("model").asText(), "the model was put in the body");
            var anthropic = fakes.received("/anthropic").get(0);
            assertEquals(FakeModelProviders.KEY, anthropic.headers().get("x-api-key"));
            assertEquals("2023-06-01", anthropic.headers().get("anthropic-version"));
            assertEquals("/gemini/v1beta/models/gemini-1.5-flash:generateContent", fakes.received("/gemini").get(0).path());

            Map<String, JsonNode> steps = byName(run.get("steps"));
            assertEquals(List.of("gpt", "claude", "gemini", "shout"), run.get("steps").findValuesAsText("name"));
            JsonNode gpt = steps.get("gpt");
            assertEquals("AIGateway", gpt.get("op").asText());
            assertEquals("step.ai.infer", gpt.at("/ai/type").asText());
            assertEquals("openai-chat", gpt.at("/ai/format").asText());
            assertEquals("gpt-4o-mini", gpt.at("/ai/model").asText());
            assertEquals(7, gpt.at("/ai/usage/input_tokens").asInt(), gpt.toString());
            assertEquals(3, gpt.at("/ai/usage/output_tokens").asInt());
            assertEquals(10, gpt.at("/ai/usage/total_tokens").asInt());
            assertEquals(11, steps.get("claude").at("/ai/usage/input_tokens").asInt());
            assertEquals(15, steps.get("claude").at("/ai/usage/total_tokens").asInt());
            assertEquals(7, steps.get("gemini").at("/ai/usage/total_tokens").asInt());
            assertTrue(steps.get("gemini").at("/ai/url").asText().contains("key=…") || !steps.get("gemini").at("/ai/url").asText().contains(FakeModelProviders.KEY),
                    "the key is not shown: " + steps.get("gemini"));
            assertTrue(!run.toString().contains(FakeModelProviders.KEY), "the API key appears nowhere in the run: " + run);
            JsonNode shout = steps.get("shout");
            assertEquals("step.ai.wrap", shout.at("/ai/type").asText(), shout.toString());
            assertEquals("echo: hello", shout.at("/ai/input/0").asText(), "the wrapped call's input is recorded");
            assertEquals("ECHO: HELLO", shout.get("output").asText());
        }

        @Test
        void aProviderErrorIsRetriedThenTheCallSucceeds() {
            fakes.failNext("/openai", 1, 500);
            JsonNode run = api.awaitStatus(api.runOf(api.send("gw/ask", Map.of("q", "again"))), "Completed");

            JsonNode gpt = byName(run.get("steps")).get("gpt");
            assertEquals(2, gpt.get("attempts").asInt(), run.toString());
            assertEquals("AIGatewayError", gpt.at("/attempt_errors/0/error/name").asText());
            assertEquals("Error making AI request: unsuccessful status code: 500", gpt.at("/attempt_errors/0/error/message").asText());
            assertEquals("echo: again", run.get("output").get("gpt").asText());
        }

        @Test
        void aRefusedKeyFailsTheStepWithTheProvidersAnswer() {
            JsonNode run = api.awaitStatus(api.runOf(api.send("gw/bad-key", Map.of())), "Completed");

            assertEquals("AIGatewayError: Error making AI request: unsuccessful status code: 401", run.get("output").asText(), run.toString());
            JsonNode gpt = run.get("steps").get(0);
            assertEquals("failed", gpt.get("status").asText());
            assertEquals(2, gpt.get("attempts").asInt(), "retries(1): two attempts");
            assertTrue(gpt.at("/error/stack").asText().contains("Incorrect API key"), "the provider's body is kept: " + gpt);
        }

        private static Map<String, JsonNode> byName(JsonNode steps) {
            var m = new LinkedHashMap<String, JsonNode>();
            steps.forEach(s -> m.put(s.get("name").asText(), s));
            return m;
        }
    }
}
