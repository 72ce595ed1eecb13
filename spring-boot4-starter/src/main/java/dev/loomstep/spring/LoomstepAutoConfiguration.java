package dev.loomstep.spring;

import dev.loomstep.Function;
import dev.loomstep.Loomstep;
import dev.loomstep.http.EventClient;
import dev.loomstep.http.LoomstepServlet;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.health.actuate.endpoint.HealthEndpointGroupsPostProcessor;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;

/**
 * Serves every {@link Function} bean of the application at {@code loomstep.serve-path} (default
 * {@code /api/inngest}) through an async {@link LoomstepServlet}, syncs the app when the application is
 * ready (or, with {@code loomstep.connect.enabled=true}, leaves serving to {@link LoomstepConnectAutoConfiguration}'s
 * worker), and offers the {@link Loomstep} app (its user values through the application's Jackson 3
 * {@code JsonMapper}, see {@link UserValuesMapper}), an {@link EventClient} and (with actuator) a
 * health indicator as beans. Define any of these beans yourself to replace it. Spring Boot 4's
 * counterpart of {@code loomstep-spring-boot-starter}'s class of the same name; the beans that do not
 * depend on the Boot version are {@link LoomstepAppConfiguration}'s, shared with it.
 */
@AutoConfiguration(afterName = {"org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration",
        "org.springframework.boot.jackson2.autoconfigure.Jackson2AutoConfiguration"})
@EnableConfigurationProperties(LoomstepProperties.class)
@Import(LoomstepAppConfiguration.class)
public class LoomstepAutoConfiguration {

    /**
     * The health indicator's name, as the health endpoint shows it: the bean is
     * {@code loomstepAppHealthIndicator}, and {@link LoomstepHealthGroup} makes a group {@code loomstep}
     * of it. Boot 4 refuses a contributor named like a group, so it cannot be {@code loomstep} as under
     * Boot 3.
     */
    static final String HEALTH_COMPONENT = "loomstepApp";

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
