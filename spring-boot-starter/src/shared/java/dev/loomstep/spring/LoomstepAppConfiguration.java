package dev.loomstep.spring;

import dev.loomstep.Function;
import dev.loomstep.Loomstep;
import dev.loomstep.http.EventClient;
import dev.loomstep.http.LoomstepServlet;
import dev.loomstep.http.SdkEndpoint;
import dev.loomstep.http.ServeOptions;
import dev.loomstep.middleware.Middleware;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.web.servlet.ServletRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/**
 * The beans of {@link LoomstepAutoConfiguration} that do not depend on the Boot version: the app, its
 * {@link EventClient}, and the servlet with its endpoint and sync. Each starter's
 * {@code LoomstepAutoConfiguration} imports it and adds what does (its ordering after Boot's Jackson
 * auto-configuration, its health indicator); the user values' mapper comes from that starter's
 * {@code UserValuesMapper}.
 */
@Configuration(proxyBeanMethods = false)
class LoomstepAppConfiguration {

    /**
     * The app: every {@code Function} and {@code Middleware} bean, configured from {@code loomstep.*} over
     * {@code INNGEST_*}. The application's JSON mapper (Spring Boot's, with every {@code spring.jackson.*}
     * property and customizer applied; which one, this starter's {@code UserValuesMapper} says), when there
     * is one, (de)serialises the functions' user values; the protocol's own JSON keeps Loomstep's mapper.
     */
    @Bean
    @ConditionalOnMissingBean
    public Loomstep loomstep(LoomstepProperties p, ObjectProvider<Function<?, ?>> functions,
                             ObjectProvider<Middleware> middleware, ListableBeanFactory beans,
                             Environment environment) {
        String appId = p.appId() != null ? p.appId() : environment.getProperty("spring.application.name");
        if (appId == null || appId.isBlank()) {
            throw new IllegalStateException("Loomstep needs an app id: set loomstep.app-id (or spring.application.name)");
        }
        var b = Loomstep.builder(appId).functions(functions.orderedStream().toList());
        middleware.orderedStream().forEach(b::middleware);
        var userValues = UserValuesMapper.find(beans);
        if (userValues != null) {
            b.objectMapper(userValues);
        }
        if (p.devServerUrl() != null) {
            b.dev(p.devServerUrl());
        } else if (Boolean.TRUE.equals(p.dev())) {
            b.dev(null);
        } else if (Boolean.FALSE.equals(p.dev())) {
            b.cloud();
        }
        if (p.baseUrl() != null) {
            b.apiOrigin(p.baseUrl()).eventApiOrigin(p.baseUrl());
        }
        if (p.apiBaseUrl() != null) {
            b.apiOrigin(p.apiBaseUrl());
        }
        if (p.eventApiBaseUrl() != null) {
            b.eventApiOrigin(p.eventApiBaseUrl());
        }
        if (p.signingKey() != null) {
            b.signingKey(p.signingKey());
        }
        if (p.signingKeyFallback() != null) {
            b.signingKeyFallback(p.signingKeyFallback());
        }
        if (p.eventKey() != null) {
            b.eventKey(p.eventKey());
        }
        if (p.env() != null) {
            b.env(p.env());
        }
        if (p.serveOrigin() != null) {
            b.serve(p.serveOrigin(), null);
        }
        return b.build();
    }

    /** Sends events with the app's event key to its event API. */
    @Bean
    @ConditionalOnMissingBean
    public EventClient loomstepEventClient(Loomstep app) {
        return EventClient.of(app.config());
    }

    /** What to do about cloud mode without a signing key, in this starter's terms. */
    static final String MISSING_KEY_FIX = "for local development set loomstep.dev=true (a dev server at http://localhost:8288) "
            + "or loomstep.dev-server-url=<its URL> (or INNGEST_DEV=1 in the environment); for Inngest Cloud or a self-hosted "
            + "server set loomstep.signing-key (or INNGEST_SIGNING_KEY)";

    /**
     * The endpoint the servlet serves and the sync uses: one, so that its start-up warning (cloud mode
     * without a signing key) is logged once, naming this starter's properties.
     */
    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnProperty(prefix = "loomstep.connect", name = "enabled", havingValue = "false", matchIfMissing = true)
    public SdkEndpoint loomstepEndpoint(Loomstep app) {
        return new SdkEndpoint(app, LoomstepServlet.FRAMEWORK, ServeOptions.defaults().missingKeyFix(MISSING_KEY_FIX));
    }

    /** HTTP serving only: with {@code loomstep.connect.enabled} the worker's connection syncs the app. */
    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnProperty(prefix = "loomstep.connect", name = "enabled", havingValue = "false", matchIfMissing = true)
    public LoomstepSync loomstepSync(SdkEndpoint endpoint, LoomstepProperties properties) {
        return new LoomstepSync(endpoint, properties);
    }

    /**
     * The endpoint, async so that calls run on virtual threads and release the container's threads. A class
     * of its own so that an application without the servlet API (one served over Connect) never loads it.
     */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "jakarta.servlet.Servlet")
    @ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
    @ConditionalOnProperty(prefix = "loomstep.connect", name = "enabled", havingValue = "false", matchIfMissing = true)
    static class Servlet {
        @Bean
        @ConditionalOnMissingBean(name = "loomstepServlet")
        ServletRegistrationBean<LoomstepServlet> loomstepServlet(SdkEndpoint endpoint, LoomstepProperties properties) {
            var registration = new ServletRegistrationBean<>(new LoomstepServlet(endpoint), properties.servePath());
            registration.setName("loomstep");
            registration.setAsyncSupported(true);
            return registration;
        }
    }
}
