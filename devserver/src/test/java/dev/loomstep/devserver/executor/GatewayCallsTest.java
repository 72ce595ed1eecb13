package dev.loomstep.devserver.executor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loomstep.protocol.Json;
import org.junit.jupiter.api.Test;

/** The parts of the executor's requests for SDKs that copy Inngest's executor rather than the obvious choice. */
class GatewayCallsTest {

    @Test
    void aFetchBodyThatIsJsonIsSentAsItIsAndOtherTextAsAJsonString() {
        assertEquals("{\"q\":1}", GatewayCalls.asJson("{\"q\":1}"));
        assertEquals("[1,2]", GatewayCalls.asJson("[1,2]"));
        assertEquals("\"a=1&b=2\"", GatewayCalls.asJson("a=1&b=2"));
    }

    @Test
    void responseHeaderNamesAreRecordedInGosCanonicalForm() {
        assertEquals("Content-Type", GatewayCalls.canonical("content-type"));
        assertEquals("X-Request-Id", GatewayCalls.canonical("x-REQUEST-id"));
        assertEquals("Etag", GatewayCalls.canonical("ETag"));
    }

    @Test
    void tokenUsageIsReadFromEachProvidersResponseShape() {
        var openai = Json.toTree(java.util.Map.of("usage", java.util.Map.of("prompt_tokens", 7, "completion_tokens", 3, "total_tokens", 10)));
        var anthropic = Json.toTree(java.util.Map.of("usage", java.util.Map.of("input_tokens", 11, "output_tokens", 4)));
        var gemini = Json.toTree(java.util.Map.of("usageMetadata",
                java.util.Map.of("promptTokenCount", 5, "candidatesTokenCount", 2, "totalTokenCount", 7)));
        assertEquals(10, GatewayCalls.Usage.of("openai-chat", openai).orElseThrow().path("total_tokens").asInt());
        assertEquals(15, GatewayCalls.Usage.of("anthropic", anthropic).orElseThrow().path("total_tokens").asInt(), "summed when absent");
        assertEquals(2, GatewayCalls.Usage.of("gemini", gemini).orElseThrow().path("output_tokens").asInt());
        assertTrue(GatewayCalls.Usage.of("openai-chat", Json.nodes().objectNode()).isEmpty(), "no usage, no entry");
    }
}
