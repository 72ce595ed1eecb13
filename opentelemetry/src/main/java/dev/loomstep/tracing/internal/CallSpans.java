package dev.loomstep.tracing.internal;

import dev.loomstep.middleware.OutputContext;
import dev.loomstep.middleware.RunContext;
import dev.loomstep.middleware.RunHooks;
import dev.loomstep.middleware.StepInfo;
import dev.loomstep.protocol.RawRequest;
import dev.loomstep.tracing.InngestAttributes;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The spans of one call request: the call's {@code inngest.execution} span, from the first hook to the
 * answer, and one span per step body executed in it. The call's span is current while the function's own
 * code runs new (on the thread the engine says it runs on), a step's while its body runs.
 */
public final class CallSpans implements RunHooks {
    private static final TextMapGetter<RawRequest> HEADERS = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(RawRequest carrier) {
            return carrier.headers().keySet();
        }

        @Override
        public String get(RawRequest carrier, String key) {
            return carrier == null ? null : carrier.header(key);
        }
    };

    private final Tracer tracer;
    private final Span call;
    private final Context callContext;
    /** What every span of the run carries (run id, app, executor references). */
    private final Attributes runAttributes;
    private final long attempt;
    private final Map<String, StepSpan> steps = new ConcurrentHashMap<>();
    /** Scopes that made the call's span current for the function's code, by the thread they were opened on. */
    private final Map<Thread, Scope> functionScopes = new ConcurrentHashMap<>();
    private volatile boolean ended;

    private record StepSpan(Span span, Scope scope) {}

    public CallSpans(Tracer tracer, RunContext run) {
        this.tracer = tracer;
        this.attempt = run.attempt();
        RawRequest raw = run.request().orElse(null);
        String traceparent = raw == null ? null : raw.header("traceparent");
        String tracestate = raw == null ? null : raw.header("tracestate");
        Context parent = traceparent == null ? Context.root()
                : W3CTraceContextPropagator.getInstance().extract(Context.root(), raw, HEADERS);
        Map<String, String> state = TraceState.parse(tracestate);
        AttributesBuilder a = Attributes.builder().put(InngestAttributes.RUN_ID, run.runId());
        putIfPresent(a, InngestAttributes.APP_ID, state.get(TraceState.APP));
        putIfPresent(a, InngestAttributes.SYS_APP_ID, state.get(TraceState.APP));
        putIfPresent(a, InngestAttributes.SYS_FUNCTION_ID, state.get(TraceState.FUNCTION));
        putIfPresent(a, InngestAttributes.TRACEPARENT, traceparent);
        putIfPresent(a, InngestAttributes.TRACEREF, state.get(TraceState.TRACEREF));
        this.runAttributes = a.build();
        this.call = tracer.spanBuilder(InngestAttributes.EXECUTION_SPAN)
                .setParent(parent)
                .setSpanKind(SpanKind.SERVER)
                .setAllAttributes(runAttributes)
                .setAttribute(InngestAttributes.FUNCTION_ID, run.functionId())
                .setAttribute(InngestAttributes.ATTEMPT, (long) run.attempt())
                .startSpan();
        this.callContext = parent.with(call);
    }

    private static void putIfPresent(AttributesBuilder a, io.opentelemetry.api.common.AttributeKey<String> key, String value) {
        if (value != null && !value.isEmpty()) {
            a.put(key, value);
        }
    }

    @Override
    public void beforeExecution(StepInfo step) {
        if (step == null) {
            if (!Span.current().getSpanContext().equals(call.getSpanContext())) {
                functionScopes.put(Thread.currentThread(), callContext.makeCurrent());
            }
            return;
        }
        Span span = tracer.spanBuilder(step.id())
                .setParent(callContext)
                .setAllAttributes(runAttributes)
                .setAttribute(InngestAttributes.STEP_ID, step.id())
                .setAttribute(InngestAttributes.STEP_HASH, step.hashedId())
                .setAttribute(InngestAttributes.STEP_ATTEMPT, attempt)
                .setAttribute(InngestAttributes.STEP_TYPE, step.kind())
                .startSpan();
        Scope scope = callContext.with(span).makeCurrent();
        StepSpan old = steps.put(step.hashedId(), new StepSpan(span, scope));
        if (old != null) {
            old.span.end(); // a body run twice in one call (not expected): the first one's span is over
        }
    }

    @Override
    public void afterExecution(StepInfo step) {
        if (step == null) {
            closeFunctionScope();
            return;
        }
        StepSpan s = steps.get(step.hashedId());
        if (s != null) {
            s.scope.close(); // the same thread as beforeExecution: the engine runs both around the body
        }
    }

    @Override
    public void transformOutput(OutputContext output) {
        if (output.step() == null) {
            if (output.error() != null) {
                call.recordException(output.error());
                call.setStatus(StatusCode.ERROR, String.valueOf(output.error().getMessage()));
            }
            return;
        }
        StepSpan s = steps.remove(output.step().hashedId());
        if (s == null) {
            return;
        }
        if (output.error() != null) {
            s.span.recordException(output.error());
            s.span.setStatus(StatusCode.ERROR, String.valueOf(output.error().getMessage()));
        } else {
            s.span.setStatus(StatusCode.OK);
        }
        s.span.end();
    }

    @Override
    public void beforeResponse() {
        if (ended) {
            return;
        }
        ended = true;
        closeFunctionScope();
        for (StepSpan s : List.copyOf(steps.values())) {
            s.span.end();
        }
        steps.clear();
        call.end();
    }

    private void closeFunctionScope() {
        Scope s = functionScopes.remove(Thread.currentThread());
        if (s != null) {
            s.close();
        }
    }
}
