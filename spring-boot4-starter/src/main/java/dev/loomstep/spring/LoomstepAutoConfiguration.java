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
import org.springframework.boot.health.actuate.endpoint.HealthEndpointGroupsPostProcessor;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.web.servlet.ServletRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/**
 * Serves every {@link Function} bean of the application at {@code loomstep.serve-path} (default
 * {@code /api/inngest}) through an async {@link LoomstepServlet}, syncs the app when the application is
 * ready (or, with {@code loomstep.connect.enabled=true}, leaves serving to {@link LoomstepConnectAutoConfiguration}'s
 * worker), and offers the {@link Loomstep} app (its user values through the application's Jackson 3
 * {@code JsonMapper}, see {@link Jackson3UserValues}), an {@link EventClient} and (with actuator) a
 * health indicator as beans. Define any of these beans yourself to replace it. Spring Boot 4's
 * counterpart of {@code loomstep-spring-boot-starter}'s class of the same name.
 */
@AutoConfiguration(afterName = {"org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration",
        "org.springframework.boot.jackson2.autoconfigure.Jackson2AutoConfiguration"})
@EnableConfigurationProperties(LoomstepProperties.class)
public class LoomstepAutoConfiguration {

    /**
     * The app: every {@code Function} and {@code Middleware} bean, configured from {@code loomstep.*} over
     * {@code INNGEST_*}. The application's Jackson 3 {@code JsonMapper} (Spring Boot's, with every
     * {@code spring.jackson.*} property, customizer and module applied), when there is one, (de)serialises
     * the functions' user values through {@link Jackson3UserValues}; else a Jackson 2 {@code ObjectMapper}
     * bean does; the protocol's own JSON keeps Loomstep's mapper.
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

    /** {@code /actuator/health/loomstep}: up once synced, down with the executor's answer when the sync failed. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = {"org.springframework.boot.health.contributor.HealthIndicator",
            "org.springframework.boot.actuate.endpoint.SecurityContext"})
    @ConditionalOnProperty(prefix = "loomstep.connect", name = "enabled", havingValue = "false", matchIfMissing = true)
    static class Health {
        @Bean
        @ConditionalOnMissingBean(name = "loomstepAppHealthIndicator")
        HealthIndicator loomstepAppHealthIndicator(LoomstepSync sync, Loomstep app) {
            return new LoomstepHealthIndicator(sync, app);
        }

        /** {@code /actuator/health/loomstep} under Boot's defaults too (see {@link LoomstepHealthGroup}). */
        @Bean
        static HealthEndpointGroupsPostProcessor loomstepHealthGroup() {
            return new LoomstepHealthGroup();
        }
    }
}
