package dev.loomstep.devserver.executor;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.protocol.Op;
import dev.loomstep.protocol.WireError;
import java.time.Duration;
import java.util.List;

/** What an SDK's answer to a call request means to the executor. */
public sealed interface SdkAnswer {

    /** The run finished with {@code output} (200, or a {@code RunComplete} op). */
    record Done(JsonNode output) implements SdkAnswer {}

    /**
     * 206 with ops; {@code noRetry} is the answer's {@code X-Inngest-No-Retry}, {@code retryAfter} its
     * {@code Retry-After} (for a {@code StepError}), or null.
     */
    record Ops(List<Op> ops, boolean noRetry, Duration retryAfter) implements SdkAnswer {}

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
