package dev.loomstep.middleware;

import dev.loomstep.Function;
import dev.loomstep.protocol.RawRequest;
import java.util.Optional;

/** The run a call request belongs to, and the place to inject values the handler reads back. */
public interface RunContext {
    Function<?, ?> function();

    /** The composite id {@code {appId}-{functionId}}. */
    String functionId();

    String runId();

    int attempt();

    /** The raw HTTP request, when the call came over HTTP. */
    Optional<RawRequest> request();

    /** Makes {@code value} available to the handler as {@code input.context(type)}. */
    <C> void inject(Class<C> type, C value);
}
