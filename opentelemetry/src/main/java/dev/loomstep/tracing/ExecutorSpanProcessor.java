package dev.loomstep.tracing;

import dev.loomstep.Config;
import dev.loomstep.tracing.internal.ExecutorSpanExporter;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.ReadWriteSpan;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;

/**
 * Sends the spans of Loomstep runs to the executor, as Inngest's SDKs send their extended traces: OTLP/HTTP
 * JSON to {@code {apiOrigin}/v1/traces/userland} with the signing key's bearer token. The executor (the
 * devserver, or Inngest) shows them in the run's trace.
 *
 * <p>Only run spans are sent: the {@link TracingMiddleware}'s call and step spans and every span started
 * under them, which this processor stamps with the run's attributes ({@link InngestAttributes#RUN_ID} …)
 * as they start. Your other spans go only where your other processors send them. Needs the OpenTelemetry
 * SDK ({@code opentelemetry-sdk-trace}), which an app that exports spans has.
 *
 * <pre>{@code
 * SdkTracerProvider provider = SdkTracerProvider.builder()
 *     .addSpanProcessor(ExecutorSpanProcessor.of(app.config()))
 *     .addSpanProcessor(yourOwnExport)
 *     .build();
 * }</pre>
 */
public final class ExecutorSpanProcessor implements SpanProcessor {
    /** What a child span inherits from the run span it starts under. */
    private static final List<AttributeKey<?>> INHERITED = List.of(InngestAttributes.RUN_ID, InngestAttributes.APP_ID,
            InngestAttributes.SYS_APP_ID, InngestAttributes.SYS_FUNCTION_ID, InngestAttributes.TRACEPARENT,
            InngestAttributes.TRACEREF, InngestAttributes.STEP_ID, InngestAttributes.STEP_HASH, InngestAttributes.STEP_ATTEMPT);

    private final SpanProcessor export;

    private ExecutorSpanProcessor(SpanExporter exporter) {
        this.export = BatchSpanProcessor.builder(exporter).setScheduleDelay(Duration.ofMillis(200)).build();
    }

    /** Sends to the executor {@code config} names ({@link Config#apiOrigin()}), with its signing key. */
    public static ExecutorSpanProcessor of(Config config) {
        return new ExecutorSpanProcessor(ExecutorSpanExporter.of(() -> config));
    }

    /**
     * As {@link #of(Config)}, with the configuration asked for at the first export: for a tracer provider
     * built before the app (the app's middleware needs the provider), {@code of(() -> app.config())}.
     */
    public static ExecutorSpanProcessor of(Supplier<Config> config) {
        return new ExecutorSpanProcessor(ExecutorSpanExporter.of(config));
    }

    /** Sends through {@code exporter} (tests; or another route to the executor). */
    public static ExecutorSpanProcessor of(SpanExporter exporter) {
        return new ExecutorSpanProcessor(exporter);
    }

    @Override
    public void onStart(Context parentContext, ReadWriteSpan span) {
        if (span.getAttribute(InngestAttributes.RUN_ID) != null) {
            return; // a span of the middleware: it has its attributes already
        }
        if (!(Span.fromContext(parentContext) instanceof ReadableSpan parent) || parent.getAttribute(InngestAttributes.RUN_ID) == null) {
            return;
        }
        for (AttributeKey<?> key : INHERITED) {
            copy(parent, span, key);
        }
    }

    private static <T> void copy(ReadableSpan from, ReadWriteSpan to, AttributeKey<T> key) {
        T value = from.getAttribute(key);
        if (value != null) {
            to.setAttribute(key, value);
        }
    }

    @Override
    public boolean isStartRequired() {
        return true;
    }

    @Override
    public void onEnd(ReadableSpan span) {
        if (span.getAttribute(InngestAttributes.RUN_ID) == null) {
            return;
        }
        export.onEnd(span);
        if (InngestAttributes.EXECUTION_SPAN.equals(span.getName())) {
            // The call is answered: send its spans now, not at the next tick (the JS SDK flushes per request too).
            export.forceFlush();
        }
    }

    @Override
    public boolean isEndRequired() {
        return true;
    }

    @Override
    public CompletableResultCode forceFlush() {
        return export.forceFlush();
    }

    @Override
    public CompletableResultCode shutdown() {
        return export.shutdown();
    }
}
