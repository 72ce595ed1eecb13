package dev.loomstep;

/**
 * The body of a durable function: plain blocking Java. Every call on {@code step} is memoized, so the
 * handler is replayed from the top on each request and must reach its steps deterministically.
 *
 * @param <T> the type the triggering event's {@code data} is bound to
 * @param <R> the function's result, serialised to JSON
 */
@FunctionalInterface
public interface FunctionHandler<T, R> {
    R handle(FunctionInput<T> input, Step step) throws Exception;
}
