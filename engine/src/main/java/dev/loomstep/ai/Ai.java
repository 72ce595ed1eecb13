package dev.loomstep.ai;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The AI step tools, {@code step.ai()}. Both are durable steps like {@code step.run}: memoized, retried,
 * and shown with their input and output in the run's timeline.
 */
public interface Ai {

    /**
     * Asks {@code model} with {@code body} (the provider's own request format: {@code messages} for OpenAI
     * and Anthropic, {@code contents} for Gemini; {@code model} is filled in when the body has none). The
     * executor makes the call, so no thread of this app waits for the model, and the provider's response
     * is the step's result. A response other than 2xx fails the attempt ({@code AIGatewayError}) and is
     * retried per the function's retries.
     *
     * @param body a record, a map or a {@link JsonNode}, written as a JSON object
     * @return the provider's response
     */
    JsonNode infer(String id, AiModel model, Object body);

    /** As {@link #infer(String, AiModel, Object)}, the response bound to {@code type}. */
    <T> T infer(String id, Class<T> type, AiModel model, Object body);

    /**
     * Runs {@code call} with {@code input} as a step whose input is recorded with it (the step's
     * {@code opts.input}, as the JS SDK's {@code step.ai.wrap} sends it), so the timeline shows what went
     * into the model call as well as what came out. Use it for calls made with a provider's own client.
     */
    <I, T> T wrap(String id, Class<T> type, Call<I, T> call, I input);

    /** A model call that may throw. */
    @FunctionalInterface
    interface Call<I, T> {
        T call(I input) throws Exception;
    }
}
