package dev.loomstep.tracing;

import dev.loomstep.Event;
import dev.loomstep.Loomstep;
import dev.loomstep.middleware.Middleware;
import dev.loomstep.middleware.RunContext;
import dev.loomstep.middleware.RunHooks;
import dev.loomstep.tracing.internal.CallSpans;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * OpenTelemetry spans for Loomstep runs, through the OpenTelemetry API only (bring your own SDK, or none:
 * without one every span is a no-op).
 *
 * <ul>
 *   <li>one span per call request, {@code inngest.execution} (an attempt of a run), a child of the
 *       {@code traceparent} the executor sent with the call;</li>
 *   <li>one span per step executed in that call, named by the step's id, a child of the call's span and
 *       current while the step's body runs, so the spans your code starts there are its children;</li>
 *   <li>events sent (by {@code step.sendEvent} or the client) carry the sending code's trace context as
 *       the W3C {@code traceparent} header, so the runs they start join the sender's trace.</li>
 * </ul>
 *
 * <pre>{@code
 * Loomstep app = Loomstep.builder("shop")
 *     .middleware(TracingMiddleware.of(openTelemetry))
 *     .functions(...)
 *     .build();
 * }</pre>
 *
 * <p>To see these spans in the executor's run view, add {@link ExecutorSpanProcessor} to your SDK's tracer
 * provider.
 */
public final class TracingMiddleware implements Middleware {
    private final Tracer tracer;
    private final OpenTelemetry otel;

    private TracingMiddleware(OpenTelemetry otel) {
        this.otel = otel;
        this.tracer = otel.getTracer(InngestAttributes.SCOPE, Loomstep.VERSION);
    }

    /** Spans through {@code otel}'s tracer provider. */
    public static TracingMiddleware of(OpenTelemetry otel) {
        return new TracingMiddleware(Objects.requireNonNull(otel, "otel"));
    }

    @Override
    public RunHooks onRun(RunContext run) {
        return new CallSpans(tracer, run);
    }

    /**
     * Puts the current trace context on the send, with the app's propagators (W3C {@code traceparent}
     * when it has none that write it), as OpenTelemetry's HTTP client instrumentations do.
     */
    @Override
    public void beforeSendEvents(List<Event> events, Map<String, String> headers) {
        Context current = Context.current();
        otel.getPropagators().getTextMapPropagator().inject(current, headers, (carrier, key, value) -> carrier.put(key, value));
        if (!headers.containsKey("traceparent")) {
            W3CTraceContextPropagator.getInstance().inject(current, headers, (carrier, key, value) -> carrier.put(key, value));
        }
    }
}
