package dev.loomstep.spring;

import dev.loomstep.Loomstep;
import dev.loomstep.tracing.ExecutorSpanProcessor;
import dev.loomstep.tracing.TracingMiddleware;
import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.OpenTelemetry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Tracing, when {@code loomstep-opentelemetry} is on the classpath ({@code loomstep.tracing.enabled=false} turns
 * it off): a {@link TracingMiddleware} bean, which the app picks up with the other middleware, on the
 * application's own {@link OpenTelemetry} bean (Spring Boot's, or yours), or else the global one (the
 * OpenTelemetry Java agent's); and, with the OpenTelemetry SDK present, an {@link ExecutorSpanProcessor} bean
 * that sends the runs' spans to the executor, which Spring Boot's tracer provider adds to its processors
 * (an SDK you build yourself needs it added: inject the bean). Same in both starters.
 */
@AutoConfiguration
@ConditionalOnClass(name = "dev.loomstep.tracing.TracingMiddleware")
@ConditionalOnProperty(prefix = "loomstep.tracing", name = "enabled", matchIfMissing = true)
public class LoomstepTracingAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    public TracingMiddleware loomstepTracing(ObjectProvider<OpenTelemetry> openTelemetry) {
        return TracingMiddleware.of(openTelemetry.getIfAvailable(GlobalOpenTelemetry::get));
    }

    /** A class of its own so that an application with the OpenTelemetry API alone never loads the SDK's types. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "io.opentelemetry.sdk.trace.SpanProcessor")
    @ConditionalOnProperty(prefix = "loomstep.tracing", name = "export-to-executor", matchIfMissing = true)
    static class ExecutorExport {
        /** The app is asked for at the first export: the tracer provider is built before it (it needs the middleware). */
        @Bean
        @ConditionalOnMissingBean
        ExecutorSpanProcessor loomstepExecutorSpans(ObjectProvider<Loomstep> app) {
            return ExecutorSpanProcessor.of(() -> app.getObject().config());
        }
    }
}
