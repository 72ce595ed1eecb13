package dev.loomstep.spring;

import dev.loomstep.Function;
import dev.loomstep.Loomstep;
import dev.loomstep.http.EventClient;
import dev.loomstep.http.LoomstepServlet;
import org.springframework.boot.actuate.health.HealthEndpointGroupsPostProcessor;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.jackson.JacksonAutoConfiguration;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;

/**
 * Serves every {@link Function} bean of the application at {@code loomstep.serve-path} (default
 * {@code /api/inngest}) through an async {@link LoomstepServlet}, syncs the app when the application is
 * ready (or, with {@code loomstep.connect.enabled=true}, leaves serving to {@link LoomstepConnectAutoConfiguration}'s
 * worker), and offers the {@link Loomstep} app (its user values through the application's
 * {@code ObjectMapper}), an {@link EventClient} and (with actuator) a health indicator as beans. Define
 * any of these beans yourself to replace it. The beans that do not depend on the Boot version are
 * {@link LoomstepAppConfiguration}'s, shared with {@code loomstep-spring-boot4-starter}.
 */
@AutoConfiguration(after = JacksonAutoConfiguration.class)
@EnableConfigurationProperties(LoomstepProperties.class)
@Import(LoomstepAppConfiguration.class)
public class LoomstepAutoConfiguration {

    /**
     * The health indicator's name, as the health endpoint shows it: the bean is
     * {@code loomstepHealthIndicator}, and {@link LoomstepHealthGroup} makes a group of it.
     */
    static final String HEALTH_COMPONENT = "loomstep";

    /** {@code /actuator/health/loomstep}: up once synced, down with the executor's answer when the sync failed. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(HealthIndicator.class)
    @ConditionalOnProperty(prefix = "loomstep.connect", name = "enabled", havingValue = "false", matchIfMissing = true)
    static class Health {
        @Bean
        @ConditionalOnMissingBean(name = "loomstepHealthIndicator")
        HealthIndicator loomstepHealthIndicator(LoomstepSync sync, Loomstep app) {
            return new LoomstepHealthIndicator(sync, app);
        }

        /** {@code /actuator/health/loomstep} under Boot's defaults too (see {@link LoomstepHealthGroup}). */
        @Bean
        static HealthEndpointGroupsPostProcessor loomstepHealthGroup() {
            return new LoomstepHealthGroup();
        }
    }
}
