package dev.loomstep;

/**
 * How one branch of {@link Step#parallelSettled} ended: with a value, or with the exception it threw
 * (like a JS {@code Promise.allSettled} result).
 *
 * <pre>{@code
 * for (Settled<Quote> s : step.parallelSettled(quotes)) {
 *     switch (s) {
 *         case Settled.Value<Quote> v -> offers.add(v.value());
 *         case Settled.Failure<Quote> f -> log.warn("no quote", f.error());
 *     }
 * }
 * }</pre>
 */
public sealed interface Settled<T> {

    /** The branch's value; throws the branch's exception (a {@link RuntimeException} as is) when it failed. */
    T get() throws Exception;

    /** The branch returned {@code value}. */
    record Value<T>(T value) implements Settled<T> {
        @Override
        public T get() {
            return value;
        }
    }

    /** The branch threw {@code error}; a failed step shows as a {@link StepFailedException}. */
    record Failure<T>(Exception error) implements Settled<T> {
        @Override
        public T get() throws Exception {
            throw error;
        }
    }
}
