package dev.loomstep.spring;

import static dev.loomstep.spring.DevServerRest.awaitRun;
import static dev.loomstep.spring.DevServerRest.get;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Event;
import dev.loomstep.Function;
import dev.loomstep.Trigger;
import dev.loomstep.http.EventClient;
import dev.loomstep.protocol.Json;
import dev.loomstep.testkit.LogCapture;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;

/**
 * A real Spring Boot app on Tomcat with the starter and no servlet registration of its own, against the
 * real devserver over loopback: its Function bean is served, synced at start-up, and runs to completion;
 * its health is at {@code /actuator/health/loomstep}. Run by both starters (Boot 3 and Boot 4); what
 * Boot 4 shows differently comes from each starter's {@code BootHealthApi}.
 */
class LoomstepAutoConfigurationTest extends StarterAppTest {

    record Greeting(String name) {}

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class ShopApp {
        @Bean
        Function<Greeting, String> greet() {
            return Function.builder("greet").trigger(Trigger.event("shop/greet"))
                    .handler(Greeting.class, (input, step) -> step.run("hello", String.class, () -> "hello " + input.data().name()));
        }
    }

    @Test
    void aFunctionBeanIsServedSyncedAtStartAndRunsToCompletionOnTheDevserver() throws Exception {
        spring = start(ShopApp.class, dev.url());
        var events = spring.getBean(EventClient.class);
        String eventId = events.send(Event.of("shop/greet", new Greeting("ada"))).get(0);

        JsonNode run = awaitRun(dev, eventId, "Completed");
        assertEquals("hello ada", run.path("output").asText(), run.toString());

        JsonNode apps = get(dev.url() + "/v1/apps");
        assertTrue(apps.toString().contains("\"shop\""), apps.toString());
        JsonNode health = get(base() + "/actuator/health/loomstep");
        assertEquals("UP", health.path("status").asText(), health.toString());
        assertTrue(IndicatorHealth.detailsIn(health).path("syncedAs").asText().endsWith("/api/inngest"), health.toString());
    }

    @Test
    void aSyncThatFailsLeavesTheAppUpButItsHealthDownWithTheReason() throws Exception {
        spring = start(ShopApp.class, "http://127.0.0.1:" + closedPort());
        JsonNode health = get(base() + "/actuator/health/loomstep");
        assertEquals("DOWN", health.path("status").asText(), health.toString());
        assertFalse(IndicatorHealth.detailsIn(health).path("syncError").asText().isBlank(), health.toString());
        // The endpoint still answers: the executor can sync it later with a PUT.
        var introspection = HTTP.send(HttpRequest.newBuilder(URI.create(base() + "/api/inngest")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, introspection.statusCode(), introspection.body());
        assertEquals(1, Json.mapper().readTree(introspection.body()).path("function_count").asInt(), introspection.body());
    }

    /** Spring Boot's defaults: no management.* property at all, as in a new project with actuator. */
    ConfigurableApplicationContext startWithBootsDefaults(String devServerUrl) {
        return new SpringApplicationBuilder(ShopApp.class).properties("server.port=0", "loomstep.app-id=shop",
                "loomstep.dev-server-url=" + devServerUrl).run();
    }

    @Test
    void underBootsDefaultsTheAppsHealthIsAtActuatorHealthLoomstepWithItsStatusAlone() throws Exception {
        spring = startWithBootsDefaults(dev.url());
        var health = HTTP.send(HttpRequest.newBuilder(URI.create(base() + "/actuator/health/loomstep")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, health.statusCode(), health.body());
        assertEquals("{\"status\":\"UP\"}", health.body(), "the status; details only where the health endpoint shows them");
        var all = HTTP.send(HttpRequest.newBuilder(URI.create(base() + "/actuator/health")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(BootHealthApi.OVERALL_HEALTH_BY_DEFAULT, all.body(), "the overall health as Boot shows it by default");
    }

    @Test
    void underBootsDefaultsAFailedSyncIsDownWith503ForProbesAndLoadBalancers() throws Exception {
        spring = startWithBootsDefaults("http://127.0.0.1:" + closedPort());
        var health = HTTP.send(HttpRequest.newBuilder(URI.create(base() + "/actuator/health/loomstep")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(503, health.statusCode(), health.body());
        assertEquals("{\"status\":\"DOWN\"}", health.body());
    }

    @Test
    void anAppInCloudModeWithoutASigningKeyIsWarnedAboutOnceInTheStartersTerms() throws Exception {
        int closedPort = closedPort();
        try (var bootLogging = bootLoggingOff(); var log = LogCapture.attach("dev.loomstep")) {
            spring = new SpringApplicationBuilder(ShopApp.class).properties("server.port=0", "loomstep.app-id=shop", "loomstep.dev=false",
                    "loomstep.base-url=http://127.0.0.1:" + closedPort, "loomstep.sync-on-startup=false").run();
            var warnings = log.at("WARN");
            assertEquals(1, warnings.size(), warnings.toString());
            String warning = warnings.get(0).message();
            assertTrue(warning.contains("in cloud mode without a signing key"), warning);
            assertTrue(warning.contains("set loomstep.dev=true") && warning.contains("loomstep.dev-server-url")
                    && warning.contains("loomstep.signing-key"), "names the starter's properties: " + warning);
            assertFalse(warning.contains("Loomstep.builder"), "no advice for plain Java: " + warning);

            var refused = HTTP.send(HttpRequest.newBuilder(URI.create(base() + "/api/inngest")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(500, refused.statusCode(), refused.body());
            assertTrue(refused.body().contains("loomstep.dev=true"), refused.body());
        }
    }

    /** Inngest's dev server re-syncs a registered app every few seconds: the app logs a sync once, not once per poll. */
    @Test
    void anUnchangedResyncIsNotLoggedAgainButAChangeIs() throws Exception {
        try (var bootLogging = bootLoggingOff(); var log = LogCapture.attach("dev.loomstep.http")) {
            spring = start(ShopApp.class, dev.url());
            Runnable put = () -> {
                try {
                    var r = HTTP.send(HttpRequest.newBuilder(URI.create(base() + "/api/inngest")).PUT(HttpRequest.BodyPublishers.noBody()).build(),
                            HttpResponse.BodyHandlers.ofString());
                    assertEquals(200, r.statusCode(), r.body());
                } catch (IOException | InterruptedException e) {
                    throw new AssertionError(e);
                }
            };
            put.run();
            put.run();
            put.run();
            var synced = log.at("INFO").stream().filter(l -> l.message().startsWith("synced app")).toList();
            assertEquals(1, synced.size(), "the start-up sync (or the first PUT) alone: " + log.lines());
            assertTrue(log.at("DEBUG").stream().anyMatch(l -> l.message().contains("again (unchanged)")), log.lines().toString());
        }
    }

    /** Boot's logging system off until closed: Boot would reset logback (and detach a capture) while the app starts. */
    static AutoCloseable bootLoggingOff() {
        String key = "org.springframework.boot.logging.LoggingSystem";
        String before = System.setProperty(key, "none");
        return () -> {
            if (before == null) {
                System.clearProperty(key);
            } else {
                System.setProperty(key, before);
            }
        };
    }
}
