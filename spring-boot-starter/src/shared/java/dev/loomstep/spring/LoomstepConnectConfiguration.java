package dev.loomstep.spring;

import dev.loomstep.Loomstep;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingClass;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The beans of {@link LoomstepConnectAutoConfiguration} that do not depend on the Boot version: the
 * worker, or, without {@code loomstep-connect} on the classpath, a start-up failure saying so. Each
 * starter's {@code LoomstepConnectAutoConfiguration} imports it and adds the worker's health indicator.
 */
@Configuration(proxyBeanMethods = false)
class LoomstepConnectConfiguration {

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "dev.loomstep.connect.LoomstepConnect")
    static class Worker {
        @Bean
        @ConditionalOnMissingBean
        LoomstepConnectWorker loomstepConnectWorker(Loomstep app, LoomstepProperties properties) {
            return new LoomstepConnectWorker(app, properties.connect());
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
