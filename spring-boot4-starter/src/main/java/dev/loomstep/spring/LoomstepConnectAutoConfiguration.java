package dev.loomstep.spring;

import dev.loomstep.Loomstep;
import org.springframework.boot.health.actuate.endpoint.HealthEndpointGroupsPostProcessor;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * {@code loomstep.connect.enabled=true}: the app is served by a {@link dev.loomstep.connect.LoomstepConnect}
 * worker over an outbound connection to the gateway, instead of the servlet and its sync (a worker's
 * connection syncs the app). Works in an application without a web server. Needs {@code loomstep-connect}
 * on the classpath; without it the application fails to start with a line saying so.
 */
@AutoConfiguration(after = LoomstepAutoConfiguration.class)
@ConditionalOnProperty(prefix = "loomstep.connect", name = "enabled", havingValue = "true")
public class LoomstepConnectAutoConfiguration {

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "dev.loomstep.connect.LoomstepConnect")
    static class Worker {
        @Bean
        @ConditionalOnMissingBean
        LoomstepConnectWorker loomstepConnectWorker(Loomstep app, LoomstepProperties properties) {
            return new LoomstepConnectWorker(app, properties.connect());
        }

        /** {@code /actuator/health/loomstep}: the worker's connection. */
        @Configuration(proxyBeanMethods = false)
        @ConditionalOnClass(name = {"org.springframework.boot.health.contributor.HealthIndicator",
                "org.springframework.boot.actuate.endpoint.SecurityContext"})
        static class Health {
            @Bean
            @ConditionalOnMissingBean(name = "loomstepAppHealthIndicator")
            HealthIndicator loomstepAppHealthIndicator(LoomstepConnectWorker worker, Loomstep app) {
                return new LoomstepConnectHealthIndicator(worker, app);
            }

            /** {@code /actuator/health/loomstep} under Boot's defaults too (see {@link LoomstepHealthGroup}). */
            @Bean
            static HealthEndpointGroupsPostProcessor loomstepHealthGroup() {
                return new LoomstepHealthGroup();
            }
        }
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnMissingClass("dev.loomstep.connect.LoomstepConnect")
    static class Missing {
        @Bean
        Object loomstepConnectMissing() {
            throw new IllegalStateException("loomstep.connect.enabled=true needs the dev.loomstep:loomstep-connect dependency "
                    + "next to the starter");
        }
    }
}
