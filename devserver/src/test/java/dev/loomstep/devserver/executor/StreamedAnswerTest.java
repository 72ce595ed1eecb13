package dev.loomstep.devserver.executor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A streamed answer (201, keepalive spaces, an envelope) is read as the answer it holds, as Inngest reads it. */
class StreamedAnswerTest {

    private static SdkHttp.Response streamed(String body) {
        return new SdkHttp.Response(201, Map.of("x-inngest-sdk", "inngest-py:v0.5.19"), body.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void pythonsEnvelopeWithItsBodyAsAStringOfJsonIsTheAnswerInside() {
        // As the Python SDK 0.5.19 streams a step's ops: spaces, then status 206, the headers, the body as a string.
        SdkHttp.Response real = StreamedAnswer.unwrap(streamed("   {\"body\": \"[{\\\"op\\\": \\\"StepRun\\\", \\\"id\\\": \\\"h\\\","
                + " \\\"name\\\": \\\"a\\\", \\\"data\\\": 1}]\", \"headers\": {\"X-Inngest-Req-Version\": \"2\","
                + " \"X-Inngest-No-Retry\": \"false\"}, \"status\": 206}"));

        assertEquals(206, real.status());
        assertEquals("2", real.header("X-Inngest-Req-Version"), "the envelope's headers, in any case");
        assertEquals("inngest-py:v0.5.19", real.header("X-Inngest-SDK"), "the call's own headers are kept");
        SdkAnswer answer = SdkClient.classify(real.status(), real.body(), real.header("X-Inngest-No-Retry"), null);
        assertEquals(1, assertInstanceOf(SdkAnswer.Ops.class, answer).ops().size(), answer.toString());
    }

    @Test
    void aBodyThatIsJsonItselfAndAnErrorStatusWithNoRetry() {
        SdkHttp.Response real = StreamedAnswer.unwrap(streamed(" {\"status\": 400, \"headers\": {\"x-inngest-no-retry\": \"true\"},"
                + " \"body\": {\"name\": \"NonRetriableError\", \"message\": \"no way\"}}"));

        SdkAnswer answer = SdkClient.classify(real.status(), real.body(), real.header("X-Inngest-No-Retry"), null);
        assertEquals("no way", assertInstanceOf(SdkAnswer.Failed.class, answer).error().message(), answer.toString());
    }

    @Test
    void aStreamThatIsNotAnEnvelopeOrSaysItFailedIsRefusedWithTheReason() {
        var garbage = assertThrows(IllegalArgumentException.class, () -> StreamedAnswer.unwrap(streamed("   ")));
        assertEquals("(status 201) whose body is not a JSON object: ", garbage.getMessage());
        var noStatus = assertThrows(IllegalArgumentException.class, () -> StreamedAnswer.unwrap(streamed("{\"body\": 1}")));
        assertEquals("(status 201) whose envelope has no HTTP \"status\": {\"body\": 1}", noStatus.getMessage());
        var failed = assertThrows(IllegalArgumentException.class,
                () -> StreamedAnswer.unwrap(streamed("  {\"error\": \"the function crashed\"}")));
        assertEquals("(status 201) that says the call failed: the function crashed", failed.getMessage());
    }
}
