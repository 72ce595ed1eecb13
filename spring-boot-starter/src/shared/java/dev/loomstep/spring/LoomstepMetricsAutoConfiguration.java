package dev.loomstep.spring;

import dev.loomstep.Loomstep;
import dev.loomstep.connect.ConnectionState;
import dev.loomstep.metrics.ConnectMetrics;
import dev.loomstep.metrics.LoomstepMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.function.Supplier;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * With a {@code MeterRegistry} bean (actuator's), the app's runs, steps, checkpoints and calls in flight
 * as Micrometer meters ({@link LoomstepMetrics}, added to the app as middleware like any
 * {@code Middleware} bean), and with {@code loomstep.connect.enabled=true} the Connect worker's state
 * ({@link ConnectMetrics}). {@code loomstep.metrics.enabled=false} turns it off. The same class in both
 * starters: Micrometer's API and the condition annotations do not depend on the Boot version, and the
 * registry's auto-configuration is named for both.
 */
@AutoConfiguration(afterName = {
        "org.springframework.boot.actuate.autoconfigure.metrics.CompositeMeterRegistryAutoConfiguration",
        "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration"})
@ConditionalOnClass(name = {"io.micrometer.core.instrument.MeterRegistry", "dev.loomstep.metrics.LoomstepMetrics"})
@ConditionalOnBean(MeterRegistry.class)
@ConditionalOnProperty(prefix = "loomstep.metrics", name = "enabled", havingValue = "true", matchIfMissing = true)
public class LoomstepMetricsAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    LoomstepMetrics loomstepMetrics(MeterRegistry registry) {
        return new LoomstepMetrics(registry);
    }

    /** {@code loomstep.connect.state}; Boot binds every {@code MeterBinder} bean to its registries. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "dev.loomstep.connect.LoomstepConnect")
    @ConditionalOnProperty(prefix = "loomstep.connect", name = "enabled", havingValue = "true")
    static class Connect {
        @Bean
        MeterBinder loomstepConnectMetrics(Loomstep app, ObjectProvider<LoomstepConnectWorker> worker) {
            return new ConnectMetrics(app.appId(), new Supplier<>() {
                /** Looked up once: a scrape while the context closes must not ask the closing context for beans. */
                private volatile LoomstepConnectWorker found;

                @Override
                public ConnectionState get() {
                    LoomstepConnectWorker w = found;
                    if (w == null) {
                        found = w = worker.getIfAvailable();
                    }
                    return w == null ? null : w.state();
                }
            });
        }
    }
}
