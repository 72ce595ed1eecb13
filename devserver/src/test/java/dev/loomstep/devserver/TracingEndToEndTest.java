package dev.loomstep.devserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Config;
import dev.loomstep.Event;
import dev.loomstep.Function;
import dev.loomstep.Invoke;
import dev.loomstep.Loomstep;
import dev.loomstep.Trigger;
import dev.loomstep.connect.LoomstepConnect;
import dev.loomstep.tracing.ExecutorSpanProcessor;
import dev.loomstep.tracing.TracingMiddleware;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A Loomstep app with tracing on a devserver over real HTTP: the sender's trace carried by the event into
 * the run and by the invoke into the child run, the SDK's spans exported to {@code /v1/traces/userland}
 * and shown with the run ({@code GET /v1/runs/{id}} and {@code /v1/runs/{id}/spans}).
 */
@Timeout(60)
class TracingEndToEndTest {
    static LoomstepDevServer fx;
    static SdkTracerProvider provider;
    static OpenTelemetry otel;

    static Function<?, ?> charge() {
        return Function.builder("charge").trigger(Trigger.event("shop/charge")).handler((in, step) ->
                step.run("capture", Integer.class, () -> in.data().path("amount").asInt()));
    }

    @BeforeAll
    static void start() {
        var app = new AtomicReference<Loomstep>();
        provider = SdkTracerProvider.builder().addSpanProcessor(ExecutorSpanProcessor.of(() -> app.get().config())).build();
        otel = OpenTelemetrySdk.builder().setTracerProvider(provider).build();
        Tracer user = otel.getTracer("shop");
        var checkout = Function.builder("checkout").trigger(Trigger.event("shop/checkout")).handler((in, step) -> {
            int price = step.run("price", Integer.class, () -> {
                Span s = user.spanBuilder("lookup-price").setAttribute("sku", "s-1").startSpan();
                s.end();
                return 21;
            });
            return step.invoke("pay", Integer.class, Invoke.function(charge()).data(Map.of("amount", price * 2)));
        });
        fx = LoomstepDevServer.builder("shop").app(b -> b.middleware(TracingMiddleware.of(otel))).start(checkout, charge());
        app.set(fx.app);
    }

    @AfterAll
    static void stop() {
        if (provider != null) {
            provider.close();
        }
        if (fx != null) {
            fx.close();
        }
    }

    static List<JsonNode> spans(String runId) {
        return StreamSupport.stream(fx.api.get("/v1/runs/" + runId + "/spans").get("data").spliterator(), false).toList();
    }

    static List<JsonNode> awaitSpans(String runId, List<String> names) {
        return Api.await(() -> spans(runId), got -> names.stream().allMatch(n -> got.stream().anyMatch(s -> s.get("name").asText().equals(n))),
                "the spans " + names + " of run " + runId);
    }

    static JsonNode named(List<JsonNode> spans, String name) {
        return spans.stream().filter(s -> s.get("name").asText().equals(name)).findFirst().orElseThrow();
    }

    @Test
    void theRunsSpansJoinTheSendersTraceAndShowWithTheRun() {
        Span request = otel.getTracer("web").spanBuilder("POST /checkout").startSpan();
        String eventId;
        try (Scope ignored = request.makeCurrent()) {
            eventId = fx.app.send(Event.of("shop/checkout", Map.of())).get(0);
        } finally {
            request.end();
        }
        String traceId = request.getSpanContext().getTraceId();
        String runId = fx.api.runOf(eventId);
        JsonNode run = fx.api.awaitEnd(runId, "Completed", java.time.Duration.ofSeconds(30), "the checkout run");
        assertEquals(42, run.get("output").asInt(), run.toString());

        List<JsonNode> spans = awaitSpans(runId, List.of("inngest.execution", "price", "lookup-price"));
        for (JsonNode s : spans) {
            assertEquals(traceId, s.get("trace_id").asText(), "every span of the run is in the sender's trace: " + s);
            assertEquals(runId, s.get("attributes").get("sdk.run.id").asText());
        }
        List<JsonNode> calls = spans.stream().filter(s -> s.get("name").asText().equals("inngest.execution")).toList();
        assertTrue(calls.size() >= 2, "a span per call: " + calls);
        for (JsonNode call : calls) {
            assertEquals(request.getSpanContext().getSpanId(), call.get("parent_span_id").asText(), "calls are children of the sender's span");
            assertEquals("shop", call.get("attributes").get("sdk.app.id").asText(), "the devserver's tracestate names the app");
            assertEquals("shop-checkout", call.get("attributes").get("loomstep.function.id").asText());
            assertEquals(36, call.get("attributes").get("sys.function.id").asText().length(), "the function UUID of ctx.fn_id");
            assertTrue(call.get("attributes").get("inngest.traceref").asText().contains(runId));
        }
        JsonNode price = named(spans, "price");
        JsonNode lookup = named(spans, "lookup-price");
        assertEquals(price.get("span_id").asText(), lookup.get("parent_span_id").asText(), "the user's span is under its step");
        assertEquals("price", lookup.get("attributes").get("inngest.step.id").asText());
        assertEquals("s-1", lookup.get("attributes").get("sku").asText());
        assertEquals("ok", price.get("status").asText());
        assertTrue(calls.stream().anyMatch(c -> c.get("span_id").asText().equals(price.get("parent_span_id").asText())));

        // The run's view carries them for the UI's waterfall.
        JsonNode view = fx.api.get("/v1/runs/" + runId).get("data");
        assertEquals(spans.size(), view.get("sdk_spans").size());

        // The invoked run is in the same trace.
        String childId = view.get("invoked_runs").get(0).get("run_id").asText();
        fx.api.awaitEnd(childId, "Completed", java.time.Duration.ofSeconds(30), "the charge run");
        List<JsonNode> child = awaitSpans(childId, List.of("inngest.execution", "capture"));
        for (JsonNode s : child) {
            assertEquals(traceId, s.get("trace_id").asText(), "the invoked run joins the invoker's trace: " + s);
        }
    }

    @Test
    void overConnectTheCallsCarryTheSameTraceContext() {
        DevServer dev = DevServer.builder().port(0).connectPort(0).inMemory().retryDelayScale(0.001).start();
        var app = new AtomicReference<Loomstep>();
        SdkTracerProvider traces = SdkTracerProvider.builder().addSpanProcessor(ExecutorSpanProcessor.of(() -> app.get().config())).build();
        OpenTelemetry connectOtel = OpenTelemetrySdk.builder().setTracerProvider(traces).build();
        var fn = Function.builder("weigh").trigger(Trigger.event("conn/weigh")).handler((in, step) -> step.run("scale", Integer.class, () -> 5));
        app.set(Loomstep.builder("conn-traced").config(Config.from(Map.of("INNGEST_DEV", dev.url()))).middleware(TracingMiddleware.of(connectOtel)).functions(fn).build());
        LoomstepConnect worker = LoomstepConnect.builder(app.get()).instanceId("traced-1").build();
        try {
            worker.connect();
            var api = new Api(dev);
            Span request = connectOtel.getTracer("web").spanBuilder("POST /weigh").startSpan();
            String eventId;
            try (Scope ignored = request.makeCurrent()) {
                eventId = app.get().send(Event.of("conn/weigh", Map.of())).get(0);
            } finally {
                request.end();
            }
            String runId = api.runOf(eventId);
            api.awaitEnd(runId, "Completed", java.time.Duration.ofSeconds(30), "the run over Connect");
            List<JsonNode> spans = Api.await(() -> StreamSupport.stream(api.get("/v1/runs/" + runId + "/spans").get("data").spliterator(), false)
                            .toList(), got -> got.stream().anyMatch(x -> x.get("name").asText().equals("scale")), "the Connect run's spans");
            JsonNode call = named(spans, "inngest.execution");
            assertEquals(request.getSpanContext().getTraceId(), call.get("trace_id").asText(), "user_trace_ctx carried the sender's trace");
            assertEquals(request.getSpanContext().getSpanId(), call.get("parent_span_id").asText());
            assertEquals("conn-traced", call.get("attributes").get("sdk.app.id").asText());
        } finally {
            worker.close();
            traces.close();
            dev.close();
        }
    }

    @Test
    void aRunStartedWithoutTraceContextHasATraceOfItsOwn() {
        String eventId = fx.api.send("shop/checkout", Map.of()); // the REST client sends no traceparent
        String runId = fx.api.runOf(eventId);
        fx.api.awaitEnd(runId, "Completed", java.time.Duration.ofSeconds(30), "the checkout run");
        List<JsonNode> spans = awaitSpans(runId, List.of("inngest.execution", "price"));
        String trace = spans.get(0).get("trace_id").asText();
        assertTrue(spans.stream().allMatch(s -> s.get("trace_id").asText().equals(trace)), spans.toString());
        assertEquals(32, trace.length());
    }

    @Test
    void theTracesRouteRefusesWhatItCannotReadAndSpansOfUnknownRuns() {
        var notJson = fx.api.request("POST", "/v1/traces/userland", "x");
        // Api.request sends JSON; a body that is not an export request is one clear 400
        assertEquals(400, notJson.status(), notJson.text());
        assertTrue(notJson.text().contains("traces"), notJson.text());

        String unknown = """
                {"resourceSpans":[{"scopeSpans":[{"scope":{"name":"x"},"spans":[
                  {"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"00f067aa0ba902b7","name":"lost",
                   "startTimeUnixNano":"1","endTimeUnixNano":"2",
                   "attributes":[{"key":"sdk.run.id","value":{"stringValue":"01NOSUCHRUN"}}]},
                  {"traceId":"nothex","spanId":"00f067aa0ba902b8","name":"bad-ids","startTimeUnixNano":"1","endTimeUnixNano":"2"}
                ]}]}]}""";
        var partial = fx.api.request("POST", "/v1/traces/userland", unknown);
        assertEquals(200, partial.status(), partial.text());
        assertEquals(2, partial.json().get("partialSuccess").get("rejectedSpans").asInt(), partial.text());
        assertFalse(partial.json().get("partialSuccess").get("errorMessage").asText().isBlank());
        assertEquals(404, fx.api.request("GET", "/v1/runs/01NOSUCHRUN/spans", null).status());
    }
}
