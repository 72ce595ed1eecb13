package dev.loomstep.tracing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loomstep.Event;
import dev.loomstep.EventSender;
import dev.loomstep.Function;
import dev.loomstep.Loomstep;
import dev.loomstep.Trigger;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Real runs through the engine with the tracing middleware, their spans caught by OTel's in-memory exporter. */
class TracingMiddlewareTest {
    static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
    static final String CALLER_SPAN = "00f067aa0ba902b7";
    static final String TRACEPARENT = "00-" + TRACE_ID + "-" + CALLER_SPAN + "-01";
    static final String TRACESTATE = "inngest@app=shop,inngest@fn=fn-uuid-1,inngest@traceref=%7B%22run%22%3A1%7D";

    InMemorySpanExporter spans;
    InMemorySpanExporter exported;
    SdkTracerProvider provider;
    OpenTelemetry otel;

    @BeforeEach
    void sdk() {
        spans = InMemorySpanExporter.create();
        exported = InMemorySpanExporter.create();
        provider = SdkTracerProvider.builder()
                .addSpanProcessor(SimpleSpanProcessor.create(spans))
                .addSpanProcessor(ExecutorSpanProcessor.of(exported))
                .build();
        otel = OpenTelemetrySdk.builder().setTracerProvider(provider).build();
    }

    @AfterEach
    void close() {
        provider.close();
    }

    Loomstep app(Function<?, ?> fn, EventSender sender) {
        return Loomstep.builder("shop").middleware(TracingMiddleware.of(otel)).eventSender(sender).functions(fn).build();
    }

    static SpanData named(List<SpanData> all, String name) {
        return all.stream().filter(s -> s.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no span " + name + " in " + all.stream().map(SpanData::getName).toList()));
    }

    static String withoutFlags(String traceparent) {
        return traceparent == null ? null : traceparent.substring(0, traceparent.lastIndexOf('-'));
    }

    @Test
    void everyCallIsAnExecutionSpanUnderTheExecutorsTraceparentAndEveryStepItsChild() {
        Tracer user = otel.getTracer("user-code");
        var fn = Function.builder("checkout").trigger(Trigger.event("shop/order")).handler((in, step) -> {
            int price = step.run("price", Integer.class, () -> {
                Span s = user.spanBuilder("lookup-price").startSpan();
                s.end();
                return 7;
            });
            return step.run("charge", Integer.class, () -> price * 2);
        });
        Calls.Outcome o = Calls.run(app(fn, events -> List.of()), "shop-checkout", "01RUN0000000000000000000AA",
                Event.of("shop/order", Map.of()), Map.of("traceparent", TRACEPARENT, "tracestate", TRACESTATE));
        assertEquals(200, o.status(), o.body().toString());
        assertEquals(3, o.calls());

        List<SpanData> all = spans.getFinishedSpanItems();
        List<SpanData> calls = all.stream().filter(s -> s.getName().equals("inngest.execution")).toList();
        assertEquals(3, calls.size(), "one span per call: " + all);
        for (SpanData call : calls) {
            assertEquals(TRACE_ID, call.getTraceId());
            assertEquals(CALLER_SPAN, call.getParentSpanId(), "the executor's span is the parent");
            assertEquals("inngest", call.getInstrumentationScopeInfo().getName());
            assertEquals("01RUN0000000000000000000AA", call.getAttributes().get(InngestAttributes.RUN_ID));
            assertEquals("shop", call.getAttributes().get(InngestAttributes.APP_ID));
            assertEquals("shop", call.getAttributes().get(InngestAttributes.SYS_APP_ID));
            assertEquals("fn-uuid-1", call.getAttributes().get(InngestAttributes.SYS_FUNCTION_ID));
            assertEquals(TRACEPARENT, call.getAttributes().get(InngestAttributes.TRACEPARENT));
            assertEquals("%7B%22run%22%3A1%7D", call.getAttributes().get(InngestAttributes.TRACEREF));
            assertEquals("shop-checkout", call.getAttributes().get(InngestAttributes.FUNCTION_ID));
        }
        SpanData price = named(all, "price");
        SpanData charge = named(all, "charge");
        assertEquals(calls.get(0).getSpanId(), price.getParentSpanId(), "the first call ran price");
        assertEquals(calls.get(1).getSpanId(), charge.getParentSpanId(), "the second call ran charge");
        assertEquals("price", price.getAttributes().get(InngestAttributes.STEP_ID));
        assertEquals(40, price.getAttributes().get(InngestAttributes.STEP_HASH).length());
        assertEquals(0L, price.getAttributes().get(InngestAttributes.STEP_ATTEMPT));
        assertEquals("run", price.getAttributes().get(InngestAttributes.STEP_TYPE));
        assertEquals(StatusCode.OK, price.getStatus().getStatusCode());

        SpanData lookup = named(all, "lookup-price");
        assertEquals(price.getSpanId(), lookup.getParentSpanId(), "user spans in a step body are the step's children");
        assertEquals(TRACE_ID, lookup.getTraceId());

        // The executor's processor sends the run's spans, the user's with the run's and the step's attributes.
        provider.forceFlush().join(5, java.util.concurrent.TimeUnit.SECONDS);
        SpanData sent = named(exported.getFinishedSpanItems(), "lookup-price");
        assertEquals("01RUN0000000000000000000AA", sent.getAttributes().get(InngestAttributes.RUN_ID));
        assertEquals("%7B%22run%22%3A1%7D", sent.getAttributes().get(InngestAttributes.TRACEREF));
        assertEquals("price", sent.getAttributes().get(InngestAttributes.STEP_ID));
        assertEquals(all.size(), exported.getFinishedSpanItems().size(), "every span of the run is sent: " + exported.getFinishedSpanItems());
    }

    @Test
    void theFunctionsOwnCodeRunsInsideTheCallSpanAndAFailedStepIsAnError() {
        Tracer user = otel.getTracer("user-code");
        var fn = Function.builder("fails").trigger(Trigger.event("shop/order")).retries(0).handler((in, step) -> {
            user.spanBuilder("before-steps").startSpan().end();
            return step.run("explode", Integer.class, () -> {
                throw new IllegalStateException("card declined");
            });
        });
        Calls.Outcome o = Calls.run(app(fn, events -> List.of()), "shop-fails", "01RUN0000000000000000000AB",
                Event.of("shop/order", Map.of()), Map.of());
        assertTrue(o.status() >= 400 || o.body().toString().contains("card declined"), o.body().toString());
        List<SpanData> all = spans.getFinishedSpanItems();
        SpanData call = named(all, "inngest.execution");
        assertEquals(call.getSpanId(), named(all, "before-steps").getParentSpanId());
        SpanData explode = named(all, "explode");
        assertEquals(StatusCode.ERROR, explode.getStatus().getStatusCode());
        assertEquals("card declined", explode.getStatus().getDescription());
        assertTrue(explode.getEvents().stream().anyMatch(e -> e.getName().equals("exception")));
        assertTrue(!call.getParentSpanContext().isValid(), "no traceparent sent: the call span is a root");
    }

    @Test
    void eventsSentFromAStepOrFromTracedCodeCarryTheirTraceparent() {
        List<Map<String, String>> headers = new CopyOnWriteArrayList<>();
        EventSender sender = new EventSender() {
            @Override
            public List<String> send(List<Event> events) {
                headers.add(Map.of());
                return events.stream().map(e -> "id").toList();
            }

            @Override
            public List<String> send(List<Event> events, Map<String, String> h) {
                headers.add(h);
                return events.stream().map(e -> "id").toList();
            }
        };
        var fn = Function.builder("notify").trigger(Trigger.event("shop/order")).handler((in, step) ->
                step.sendEvent("tell", Event.of("shop/notified", Map.of())));
        Loomstep app = app(fn, sender);
        Calls.run(app, "shop-notify", "01RUN0000000000000000000AC", Event.of("shop/order", Map.of()), Map.of("traceparent", TRACEPARENT));
        SpanData tell = named(spans.getFinishedSpanItems(), "tell");
        assertEquals("00-" + TRACE_ID + "-" + tell.getSpanId(), withoutFlags(headers.get(0).get("traceparent")),
                "the runs the event starts are children of the step that sent it");

        Span request = otel.getTracer("web").spanBuilder("POST /orders").startSpan();
        try (Scope ignored = request.makeCurrent()) {
            app.send(Event.of("shop/order", Map.of()));
        } finally {
            request.end();
        }
        String sent = headers.get(headers.size() - 1).get("traceparent");
        assertNotNull(sent);
        assertEquals("00-" + request.getSpanContext().getTraceId() + "-" + request.getSpanContext().getSpanId(), withoutFlags(sent));

        app.send(Event.of("shop/order", Map.of()));
        assertEquals(new ArrayList<>(List.of()), new ArrayList<>(headers.get(headers.size() - 1).keySet()),
                "no current span: nothing to carry");
    }
}
