package dev.loomstep.devserver.executor;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.protocol.Op;
import dev.loomstep.protocol.WireError;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** What an SDK's answer to a call request means to the executor. */
public sealed interface SdkAnswer {

    /** The run finished with {@code output} (200, or a {@code RunComplete} op). */
    record Done(JsonNode output) implements SdkAnswer {}

    /**
     * 206 with ops; {@code noRetry} is the answer's {@code X-Inngest-No-Retry}, {@code retryAfter} its
     * {@code Retry-After} (for a {@code StepError}), or null; {@code timings} the ops' own {@code timing} by op id;
     * {@code metadata} the ops' {@code metadata} arrays by op id ({@link OpMetadata}); {@code raced} the ids of the
     * ops that race one another ({@code opts.parallelMode: "race"}), in answer order.
     */
    record Ops(List<Op> ops, boolean noRetry, Duration retryAfter, Map<String, StepTiming> timings,
               Map<String, JsonNode> metadata, List<String> raced) implements SdkAnswer {
        /** Ops whose opts do not say which of them race ({@code opts.parallelMode: "race"}). */
        public Ops(List<Op> ops, boolean noRetry, Duration retryAfter, Map<String, StepTiming> timings,
                   Map<String, JsonNode> metadata) {
            this(ops, noRetry, retryAfter, timings, metadata, List.of());
        }

        /** Ops without the SDK's step timings. */
        public Ops(List<Op> ops, boolean noRetry, Duration retryAfter) {
            this(ops, noRetry, retryAfter, Map.of());
        }

        /** Ops without metadata. */
        public Ops(List<Op> ops, boolean noRetry, Duration retryAfter, Map<String, StepTiming> timings) {
            this(ops, noRetry, retryAfter, timings, Map.of());
        }

        /** When the SDK says the op with this id ran, or null. */
        public StepTiming timing(String opId) {
            return timings.get(opId);
        }
    }

    /** A non-retriable failure: the run fails with {@code error}. */
    record Failed(WireError error) implements SdkAnswer {}

    /**
     * The connection failed before any answer: refused (nothing was sent), reset or closed by the app.
     * Retried like a {@link Retry}, except while the endpoint keeps answering other calls (it is up, and
     * overloaded, or closed a kept-alive connection as the request arrived): then it costs no attempt.
     */
    record Unanswered(WireError error) implements SdkAnswer {}

    /** A retriable failure (5xx, timeout, connection error, garbage); {@code retryAfter} may be null. */
    record Retry(WireError error, Duration retryAfter) implements SdkAnswer {}
}
