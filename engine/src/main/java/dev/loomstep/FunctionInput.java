package dev.loomstep;

import dev.loomstep.protocol.RawRequest;
import java.util.List;
import java.util.Optional;

/**
 * What a function run receives: the triggering event (its {@code data} bound to {@code T}), the
 * batch, the run id and attempt, and values injected by middleware.
 */
public interface FunctionInput<T> {
    /** The triggering event's {@code data}, bound to {@code T} through Jackson. */
    T data();

    /** The triggering event as sent. */
    Event event();

    /** Every event of the run: one, or a batch when the function batches events. */
    List<Event> events();

    /** The data of every event of the batch, bound to {@code T}. */
    List<T> dataBatch();

    String runId();

    /** 0 on the first attempt of the current step or function call. */
    int attempt();

    /** The function's composite id ({@code {appId}-{functionId}}). */
    String functionId();

    /** A value a middleware injected with {@code RunContext.inject}; empty when none. */
    <C> Optional<C> context(Class<C> type);

    /** The raw HTTP request of this call, when it came over HTTP. */
    Optional<RawRequest> request();
}
