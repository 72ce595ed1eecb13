package dev.loomstep.test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Function;
import dev.loomstep.Trigger;
import dev.loomstep.ai.AiModel;
import dev.loomstep.fetch.FetchRequest;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** step.fetch and step.ai().infer are made by the executor: the test engine answers them with mocks, never the network. */
class GatewayMockTest {
    final Function<JsonNode, String> quote = Function.builder("quote").trigger(Trigger.event("t/quote")).handler((in, step) -> {
        int status = step.fetch(FetchRequest.get("https://rates.example.com/eur")).statusCode();
        JsonNode answer = step.ai().infer("ask", AiModel.openai("gpt-4o-mini").apiKey("sk-secret"), Map.of("messages", List.of()));
        return status + " " + answer.path("text").asText();
    });

    @Test
    void mockedFetchAndInferStepsAreAnsweredWithTheMocks() {
        RunResult r = TestEngine.builder(quote)
                .mock("step.fetch: rates.example.com", Mock.value(Map.of("url", "https://rates.example.com/eur", "headers", Map.of(),
                        "body", "1.08", "status_code", 200)))
                .mock("ask", Mock.value(Map.of("text", "fine")))
                .build().trigger("t/quote", Map.of()).run();

        assertEquals("200 fine", r.output(String.class), r.toString());
        assertEquals(StepKind.FETCH, r.step("step.fetch: rates.example.com").kind());
        assertEquals(StepKind.AI_INFER, r.step("ask").kind());
        assertFalse(r.toString().contains("sk-secret"), "the API key is left out of the recorded options: " + r);
    }

    @Test
    void anUnmockedFetchLeavesTheRunPendingWithWhatToDo() {
        RunResult r = TestEngine.builder(quote).build().trigger("t/quote", Map.of()).run();

        assertEquals(RunStatus.RUNNING, r.status(), r.toString());
        assertTrue(r.toString().contains("mock(\"step.fetch: rates.example.com\""), r.toString());
    }
}
