package dev.loomstep.test;

import dev.loomstep.NonRetriableException;
import java.util.Objects;

/**
 * What a mocked step does instead of its body, in {@link TestEngine.Builder#mock}. A mocked step is
 * still a step: it is reported in order, memoized and replayed; only its body never runs.
 *
 * <pre>{@code
 * .mock("charge-card", Mock.value(new Receipt("r_1")))          // the step returns this
 * .mock("send-email", Mock.error(new IOException("smtp down")))  // every attempt throws this
 * }</pre>
 */
public sealed interface Mock permits Mock.Value, Mock.Error {

    /** The step returns {@code value} (a record, a map, a string, null…), serialised as the engine would. */
    static Mock value(Object value) {
        return new Value(value);
    }

    /**
     * Every attempt of the step throws {@code error}: it is retried with the function's retries and
     * backoff (in virtual time) unless it is a {@link NonRetriableException}, then fails for good, and
     * the function sees a {@code StepFailedException}. Works for {@code run} and {@code invoke} steps.
     */
    static Mock error(Throwable error) {
        return new Error(Objects.requireNonNull(error, "a mock error must not be null"));
    }

    /** The step returns {@code value}. */
    record Value(Object value) implements Mock {}

    /** Every attempt of the step throws {@code error}. */
    record Error(Throwable error) implements Mock {}
}
