package dev.loomstep.internal.run;

import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.ai.Ai;
import dev.loomstep.ai.AiModel;
import dev.loomstep.internal.run.PendingStep.Kind;
import dev.loomstep.protocol.Json;

/** {@code step.ai()} of one request: {@code infer} is reported for the executor, {@code wrap} runs here. */
final class AiSteps implements Ai {
    private static final JavaType JSON_NODE = Json.mapper().constructType(JsonNode.class);

    private final RunExecution run;

    AiSteps(RunExecution run) {
        this.run = run;
    }

    @Override
    public JsonNode infer(String id, AiModel model, Object body) {
        return infer(id, JsonNode.class, model, body);
    }

    @Override
    public <T> T infer(String id, Class<T> type, AiModel model, Object body) {
        if (model == null || body == null) {
            throw new IllegalArgumentException("ai.infer \"" + id + "\" needs a model and a body");
        }
        Codec codec = run.codec();
        JsonNode memo = run.step(id, Kind.AI_INFER, hashed -> GatewayOps.infer(hashed, id, model, codec.toTree(body)), null, null);
        return codec.read(run.memoizedData(id, memo), codec.type(type), "the response of ai.infer \"" + id + "\"");
    }

    @Override
    public <I, T> T wrap(String id, Class<T> type, Call<I, T> call, I input) {
        if (call == null) {
            throw new IllegalArgumentException("ai.wrap \"" + id + "\" needs a call");
        }
        Codec codec = run.codec();
        JavaType declared = type == null ? JSON_NODE : codec.type(type);
        JsonNode opts = GatewayOps.wrapOpts(input == null ? null : codec.toTree(input));
        JsonNode memo = run.step(id, Kind.AI_WRAP, null, () -> Results.ofStep(codec, id, declared, call.call(input)), opts);
        return codec.read(run.memoizedData(id, memo), declared, "the memoized result of ai.wrap \"" + id + "\"");
    }
}
