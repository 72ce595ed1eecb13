package dev.loomstep.spring;

import dev.loomstep.Loomstep;
import org.springframework.boot.actuate.health.HealthEndpointGroupsPostProcessor;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;

/**
 * {@code loomstep.connect.enabled=true}: the app is served by a {@link dev.loomstep.connect.LoomstepConnect}
 * worker over an outbound connection to the gateway, instead of the servlet and its sync (a worker's
 * connection syncs the app). Works in an application without a web server. Needs {@code loomstep-connect}
 * on the classpath; without it the application fails to start with a line saying so. The worker is
 * {@link LoomstepConnectConfiguration}'s, shared with {@code loomstep-spring-boot4-starter}.
 */
@AutoConfiguration(after = LoomstepAutoConfiguration.class)
@ConditionalOnProperty(prefix = "loomstep.connect", name = "enabled", havingValue = "true")
@Import(LoomstepConnectConfiguration.class)
public class LoomstepConnectAutoConfiguration {

    /** {@code /actuator/health/loomstep}: the worker's connection. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(value = HealthIndicator.class, name = "dev.loomstep.connect.LoomstepConnect")
    static class Health {
        @Bean
        @ConditionalOnMissingBean(name = "loomstepHealthIndicator")
        HealthIndicator loomstepHealthIndicator(LoomstepConnectWorker worker, Loomstep app) {
            return new LoomstepConnectHealthIndicator(worker, app);
        }

        /** {@code /actuator/health/loomstep} under Boot's defaults too (see {@link LoomstepHealthGroup}). */
        @Bean
        static HealthEndpointGroupsPostProcessor loomstepHealthGroup() {
            return new LoomstepHealthGroup();
        }
    }
}
