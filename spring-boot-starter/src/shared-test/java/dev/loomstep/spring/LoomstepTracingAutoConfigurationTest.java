package dev.loomstep.spring;

import static dev.loomstep.spring.DevServerRest.awaitRun;
import static dev.loomstep.spring.DevServerRest.get;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Event;
import dev.loomstep.Function;
import dev.loomstep.Loomstep;
import dev.loomstep.Trigger;
import dev.loomstep.devserver.DevServer;
import dev.loomstep.testkit.Teardown;
import dev.loomstep.tracing.TracingMiddleware;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;

/**
 * A Spring Boot app with its own OpenTelemetry SDK bean and the starter, on the real devserver: the runs'
 * spans go through the application's OpenTelemetry (its exporter sees them) and, through the starter's
 * executor span processor, to the devserver, where the run shows them.
 */
@Timeout(120)
class LoomstepTracingAutoConfigurationTest {
    static final InMemorySpanExporter APP_EXPORTER = InMemorySpanExporter.create();

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class TracedApp {
        /** The application's OpenTelemetry, built as Spring Boot's is: with every SpanProcessor bean. */
        @Bean(destroyMethod = "close")
        OpenTelemetrySdk openTelemetry(ObjectProvider<SpanProcessor> processors) {
            var provider = SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(APP_EXPORTER));
            processors.orderedStream().forEach(provider::addSpanProcessor);
            return OpenTelemetrySdk.builder().setTracerProvider(provider.build()).build();
        }

        @Bean
        Function<?, ?> pack() {
            return Function.builder("pack").trigger(Trigger.event("shop/pack")).handler((in, step) -> step.run("box", Integer.class, () -> 3));
        }
    }

    DevServer dev;
    ConfigurableApplicationContext spring;

    @AfterEach
    void stop() {
        Teardown.closeAll(spring, dev);
    }

    @Test
    void runsAreTracedThroughTheApplicationsOpenTelemetryAndShownOnTheDevserver() throws Exception {
        dev = DevServer.builder().port(0).inMemory().start();
        spring = new SpringApplicationBuilder(TracedApp.class).properties("server.port=0", "loomstep.app-id=shop",
                "loomstep.dev-server-url=" + dev.url()).run();
        assertEquals(1, spring.getBeansOfType(TracingMiddleware.class).size());
        OpenTelemetry otel = spring.getBean(OpenTelemetry.class);
        Span request = otel.getTracer("web").spanBuilder("POST /pack").startSpan();
        String eventId;
        try (Scope ignored = request.makeCurrent()) {
            eventId = spring.getBean(Loomstep.class).send(Event.of("shop/pack", Map.of())).get(0);
        } finally {
            request.end();
        }
        JsonNode run = awaitRun(dev, eventId, "Completed");
        String runId = run.path("run_id").asText();

        List<SpanData> mine = APP_EXPORTER.getFinishedSpanItems();
        assertTrue(mine.stream().anyMatch(s -> s.getName().equals("box") && s.getTraceId().equals(request.getSpanContext().getTraceId())),
                "the application's exporter saw the step's span in the sender's trace: " + mine);

        Instant deadline = Instant.now().plus(Duration.ofSeconds(15));
        JsonNode spans = get(dev.url() + "/v1/runs/" + runId + "/spans").path("data");
        while (!spans.findValuesAsText("name").contains("box") && Instant.now().isBefore(deadline)) {
            Thread.sleep(50);
            spans = get(dev.url() + "/v1/runs/" + runId + "/spans").path("data");
        }
        assertTrue(spans.findValuesAsText("name").containsAll(List.of("inngest.execution", "box")), spans.toString());
        assertEquals(request.getSpanContext().getTraceId(), spans.get(0).path("trace_id").asText());
    }
}
