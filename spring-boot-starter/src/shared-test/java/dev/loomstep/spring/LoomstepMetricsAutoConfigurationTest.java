package dev.loomstep.spring;

import static dev.loomstep.spring.DevServerRest.awaitRun;
import static dev.loomstep.spring.DevServerRest.get;
import static dev.loomstep.spring.Polling.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Event;
import dev.loomstep.Function;
import dev.loomstep.Loomstep;
import dev.loomstep.Trigger;
import dev.loomstep.connect.ConnectionState;
import dev.loomstep.devserver.DevServer;
import dev.loomstep.metrics.LoomstepMetrics;
import dev.loomstep.testkit.Teardown;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;

/**
 * A real Spring Boot app with actuator (so a {@code MeterRegistry} bean) and the starter, against the real
 * devserver: the Loomstep meters are registered without any code of the app's, show a run's outcome in the
 * app's registry and at {@code /actuator/metrics}, and the Connect worker's state is a gauge. Shared by
 * both starters.
 */
@Timeout(120)
class LoomstepMetricsAutoConfigurationTest {

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class MeteredApp {
        @Bean
        Function<Object, String> greet() {
            return Function.builder("greet").trigger(Trigger.event("shop/greet"))
                    .handler(Object.class, (input, step) -> step.run("hello", String.class, () -> "hello"));
        }
    }

    DevServer dev;
    ConfigurableApplicationContext spring;

    @AfterEach
    void stop() {
        Teardown.closeAll(spring, dev);
    }

    ConfigurableApplicationContext start(WebApplicationType type, String... more) {
        return new SpringApplicationBuilder(MeteredApp.class).web(type).properties(
                "server.port=0",
                "loomstep.app-id=shop",
                "loomstep.dev-server-url=" + dev.url(),
                "management.endpoints.web.exposure.include=health,metrics").properties(more).run();
    }

    @Test
    void withActuatorARunsMetersAreInTheAppsRegistryAndAtActuatorMetrics() throws Exception {
        dev = DevServer.builder().port(0).inMemory().start();
        spring = start(WebApplicationType.SERVLET);
        assertNotNull(spring.getBean(Loomstep.class));
        String eventId = spring.getBean(Loomstep.class).send(Event.of("shop/greet", null)).get(0);
        awaitRun(dev, eventId, "Completed");

        MeterRegistry registry = spring.getBean(MeterRegistry.class);
        await("the run's completion is counted", () -> count(registry, "loomstep.runs.completed") == 1.0);
        assertEquals(1.0, count(registry, "loomstep.runs.started"));
        assertEquals(1, registry.find("loomstep.step.attempts").tags("function", "greet", "status", "completed").summary().count());
        assertEquals(0.0, registry.find("loomstep.calls.in.flight").tags("app", "shop").gauge().value());

        String port = spring.getEnvironment().getProperty("local.server.port");
        JsonNode completed = get("http://127.0.0.1:" + port + "/actuator/metrics/loomstep.runs.completed?tag=function:greet");
        assertEquals(1.0, completed.path("measurements").path(0).path("value").asDouble(), completed.toString());
    }

    @Test
    void loomstepMetricsEnabledFalseRegistersNothing() throws Exception {
        dev = DevServer.builder().port(0).inMemory().start();
        spring = start(WebApplicationType.SERVLET, "loomstep.metrics.enabled=false");
        assertTrue(spring.getBeansOfType(LoomstepMetrics.class).isEmpty());
        String eventId = spring.getBean(Loomstep.class).send(Event.of("shop/greet", null)).get(0);
        awaitRun(dev, eventId, "Completed");
        assertNull(spring.getBean(MeterRegistry.class).find("loomstep.runs.completed").counter());
    }

    @Test
    void theConnectWorkersStateIsAGauge() throws Exception {
        dev = DevServer.builder().port(0).connectPort(0).inMemory().start();
        spring = start(WebApplicationType.NONE, "loomstep.connect.enabled=true");
        MeterRegistry registry = spring.getBean(MeterRegistry.class);
        var worker = spring.getBean(LoomstepConnectWorker.class);
        await("the worker is connected", () -> worker.state() == ConnectionState.ACTIVE);
        assertEquals(1.0, state(registry, "active"));
        assertEquals(0.0, state(registry, "reconnecting"));

        String eventId = spring.getBean(Loomstep.class).send(Event.of("shop/greet", null)).get(0);
        awaitRun(dev, eventId, "Completed");
        await("the run over Connect is counted", () -> count(registry, "loomstep.runs.completed") == 1.0);

        worker.stop(); // drains and closes the worker, as the context's shutdown does, with the registry still open
        await("the worker is closed", () -> worker.state() == ConnectionState.CLOSED);
        assertEquals(1.0, state(registry, "closed"));
        assertEquals(0.0, state(registry, "active"));
    }

    private static double state(MeterRegistry registry, String state) {
        var gauge = registry.find("loomstep.connect.state").tags("app", "shop", "state", state).gauge();
        assertNotNull(gauge, "no loomstep.connect.state gauge for state " + state);
        return gauge.value();
    }

    private static double count(MeterRegistry registry, String name) {
        var counter = registry.find(name).tags("app", "shop", "function", "greet").counter();
        return counter == null ? 0 : counter.count();
    }
}
