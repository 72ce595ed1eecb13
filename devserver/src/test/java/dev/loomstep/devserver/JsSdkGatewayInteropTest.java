package dev.loomstep.devserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.testkit.FakeModelProviders;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * step.fetch and step.ai of an app written with the official JS SDK 4.24 ({@code testkit/js-peer}, app
 * {@code e2e}), executed by the devserver against {@link FakeModelProviders} on loopback, with the JS
 * SDK's checkpointing on and off. Skipped without Node (failed under {@code -Dloomstep.requirePeer=true}).
 */
class JsSdkGatewayInteropTest {

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
    abstract static class Scenarios extends JsPeerScenarios {
        FakeModelProviders fakes;

        Scenarios(boolean checkpointing) {
            super(checkpointing);
        }

        @BeforeAll
        void start() throws Exception {
            fakes = FakeModelProviders.start();
            startJs(Map.of("PEER_FAKES_ORIGIN", fakes.origin()), false, b -> b);
            Api.await(() -> api.get("/v1/functions").get("data"), d -> d.toString().contains("e2e-gw-ask"), "the JS app to be synced by -u");
        }

        @BeforeEach
        void clear() {
            fakes.clear();
        }

        @AfterAll
        void stop() {
            if (fakes != null) {
                fakes.close();
            }
        }

        @Test
        void jsSdkFetchIsMadeByTheDevserver() {
            JsonNode run = api.awaitStatus(api.runOf(api.send("e2e/gw-fetch", Map.of("path", "/echo/orders?x=1"))), "Completed");

            JsonNode out = run.get("output");
            assertEquals(200, out.get("status").asInt(), run.toString());
            assertEquals("POST", out.at("/echo/method").asText());
            assertEquals("{\"q\":1}", out.at("/echo/body").asText());
            assertEquals("t-1", out.at("/echo/headers/x-trace").asText());
            assertEquals("yes", out.get("xEcho").asText(), "the recorded headers reach the JS Response");
            JsonNode fetch = run.get("steps").get(0);
            assertEquals("step.fetch: 127.0.0.1", fetch.get("name").asText(), run.toString());
            assertEquals(200, fetch.at("/fetch/status_code").asInt());
        }

        @Test
        void jsSdkFetchRetriesThenFailsIntoTheFunctionsCatch() {
            fakes.dropNext("/echo/down", 10);
            JsonNode run = api.awaitStatus(api.runOf(api.send("e2e/gw-fetch", Map.of("path", "/echo/down"))), "Completed");

            assertTrue(run.get("output").get("failed").asText().contains("Error making gateway request"), run.toString());
            assertEquals(3, fakes.received("/echo/down").size(), "retries: 2 → three attempts");
        }

        @Test
        void jsSdkInfersWithEveryProviderAndWrapsACall() {
            fakes.failNext("/anthropic", 1, 529);
            JsonNode run = api.awaitStatus(api.runOf(api.send("e2e/gw-ask", Map.of("q", "hello"))), "Completed");

            JsonNode out = run.get("output");
            assertEquals("echo: hello", out.get("gpt").asText(), run.toString());
            assertEquals("echo: hello", out.get("claude").asText());
            assertEquals("echo: hello", out.get("gemini").asText());
            assertEquals("ECHO: HELLO", out.get("shout").asText());
            Map<String, JsonNode> steps = new LinkedHashMap<>();
            run.get("steps").forEach(s -> steps.put(s.get("name").asText(), s));
            assertEquals(List.of("gpt", "claude", "gemini", "shout"), List.copyOf(steps.keySet()), run.toString());
            assertEquals(10, steps.get("gpt").at("/ai/usage/total_tokens").asInt(), steps.get("gpt").toString());
            assertEquals(15, steps.get("claude").at("/ai/usage/total_tokens").asInt());
            assertEquals(2, steps.get("claude").get("attempts").asInt(), "the 529 was retried");
            assertEquals(7, steps.get("gemini").at("/ai/usage/total_tokens").asInt());
            assertEquals("echo: hello", steps.get("shout").at("/ai/input/0").asText(), steps.get("shout").toString());
            assertEquals("Bearer " + FakeModelProviders.KEY, fakes.received("/openai").get(0).headers().get("authorization"));
        }
    }
}
