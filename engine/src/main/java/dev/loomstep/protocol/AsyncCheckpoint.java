package dev.loomstep.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.ObjectWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * The body of {@code POST {api}/v1/checkpoint/{runId}/async}: steps executed in place by one call
 * request, identified the way the executor dispatched it ({@code ctx.fn_id}, {@code ctx.qi_id}, the
 * {@code X-Request-Id} and {@code X-Inngest-Generation-Id} headers) so it can refuse a stale dispatch.
 *
 * @param requestId        the call's {@code X-Request-Id}, or null (then left out, as JS does)
 * @param generationId     the call's {@code X-Inngest-Generation-Id}, or null
 * @param requestStartedAt when the SDK received the call, in Unix milliseconds
 * @param steps            the executed steps in the order they ran ({@code StepRun} ops)
 * @param ts               when this checkpoint was sent, in Unix milliseconds
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"run_id", "fn_id", "qi_id", "request_id", "generation_id", "request_started_at", "steps", "ts"})
public record AsyncCheckpoint(
        @JsonProperty("run_id") String runId,
        @JsonProperty("fn_id") String fnId,
        @JsonProperty("qi_id") String qiId,
        @JsonProperty("request_id") String requestId,
        @JsonProperty("generation_id") Integer generationId,
        @JsonProperty("request_started_at") long requestStartedAt,
        @JsonProperty("steps") List<WireOp> steps,
        @JsonProperty("ts") long ts) {

    private static final ObjectWriter WRITER = Json.mapper().writerFor(AsyncCheckpoint.class);

    /** The path under the API origin this checkpoint is posted to. */
    public String path() {
        return "/v1/checkpoint/" + java.net.URLEncoder.encode(runId, java.nio.charset.StandardCharsets.UTF_8).replace("+", "%20") + "/async";
    }

    /** The JSON body. */
    public byte[] toJson() {
        try {
            return WRITER.writeValueAsBytes(this);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode a checkpoint of run " + runId, e);
        }
    }
}
