package dev.loomstep.spring;

import static dev.loomstep.spring.DevServerRest.awaitRun;
import static dev.loomstep.spring.DevServerRest.get;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import dev.loomstep.Event;
import dev.loomstep.Function;
import dev.loomstep.Loomstep;
import dev.loomstep.Trigger;
import dev.loomstep.devserver.DevServer;
import dev.loomstep.http.EventClient;
import dev.loomstep.protocol.Json;
import dev.loomstep.testkit.LogCapture;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.autoconfigure.jackson.Jackson2ObjectMapperBuilderCustomizer;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;

/**
 * A real Spring Boot app on Tomcat with the starter and no servlet registration of its own, against the
 * real devserver over loopback: its Function bean is served, synced at start-up, and runs to completion,
 * its user values through the application's own Jackson configuration.
 */
@Timeout(120)
class LoomstepAutoConfigurationTest {
    static final HttpClient HTTP = HttpClient.newHttpClient();

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

    public record Money(long cents, String currency) {}

    public record PriceRequest(String skuCode) {}

    /** An app whose Jackson is customised the Spring way: a customizer bean and a spring.jackson property. */
    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class PricingApp {
        @Bean
        Jackson2ObjectMapperBuilderCustomizer moneyAsText() {
            return builder -> builder
                    .serializerByType(Money.class, new StdSerializer<>(Money.class) {
                        @Override
                        public void serialize(Money m, JsonGenerator gen, SerializerProvider provider) throws IOException {
                            gen.writeString(m.cents() + " " + m.currency());
                        }
                    })
                    .deserializerByType(Money.class, new StdDeserializer<>(Money.class) {
                        @Override
                        public Money deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
                            String[] parts = p.getValueAsString().split(" ");
                            return new Money(Long.parseLong(parts[0]), parts[1]);
                        }
                    });
        }

        @Bean
        Function<PriceRequest, String> price() {
            return Function.builder("price").trigger(Trigger.event("shop/price"))
                    .handler(PriceRequest.class, (input, step) -> {
                        Money quote = step.run("quote", Money.class, () -> new Money(1250, "EUR"));
                        return input.data().skuCode() + " costs " + quote.cents() + " " + quote.currency();
                    });
        }
    }

    DevServer dev;
    ConfigurableApplicationContext spring;

    @BeforeEach
    void startDevServer() {
        dev = DevServer.builder().port(0).inMemory().start();
    }

    @AfterEach
    void stop() {
        if (spring != null) {
            spring.close();
        }
        dev.close();
    }

    ConfigurableApplicationContext start(String devServerUrl) {
        return start(ShopApp.class, devServerUrl);
    }

    ConfigurableApplicationContext start(Class<?> app, String devServerUrl, String... more) {
        return new SpringApplicationBuilder(app).properties(
                "server.port=0",
                "loomstep.app-id=shop",
                "loomstep.dev-server-url=" + devServerUrl,
                "management.endpoints.web.exposure.include=health",
                "management.endpoint.health.show-details=always").properties(more).run();
    }

    @Test
    void aFunctionBeanIsServedSyncedAtStartAndRunsToCompletionOnTheDevserver() throws Exception {
        spring = start(dev.url());
        var events = spring.getBean(EventClient.class);
        String eventId = events.send(Event.of("shop/greet", new Greeting("ada"))).get(0);

        JsonNode run = awaitRun(dev, eventId, "Completed");
        assertEquals("hello ada", run.path("output").asText(), run.toString());

        JsonNode apps = get(dev.url() + "/v1/apps");
        assertTrue(apps.toString().contains("\"shop\""), apps.toString());
        JsonNode health = get(base() + "/actuator/health/loomstep");
        assertEquals("UP", health.path("status").asText(), health.toString());
        assertTrue(health.path("components").path("loomstep").path("details").path("syncedAs").asText().endsWith("/api/inngest"), health.toString());
    }

    @Test
    void theApplicationsJacksonCustomisationAppliesToStepResultsAndEventDataEndToEnd() throws Exception {
        spring = start(PricingApp.class, dev.url(), "spring.jackson.property-naming-strategy=SNAKE_CASE");
        Loomstep app = spring.getBean(Loomstep.class);
        assertSame(spring.getBean(ObjectMapper.class), app.objectMapper());
        Event event = app.event("shop/price", new PriceRequest("sku-1"));
        assertEquals("{\"sku_code\":\"sku-1\"}", event.data().toString(), "the app's naming strategy writes the event data");
        String eventId = spring.getBean(EventClient.class).send(event).get(0);

        JsonNode run = awaitRun(dev, eventId, "Completed");
        // Bound with the same naming strategy, and the step's Money read back by the customizer's deserializer.
        assertEquals("sku-1 costs 1250 EUR", run.path("output").asText(), run.toString());
        JsonNode quote = null;
        for (JsonNode step : run.path("steps")) {
            if ("quote".equals(step.path("name").asText())) {
                quote = step;
            }
        }
        assertNotNull(quote, run.toString());
        assertEquals("\"1250 EUR\"", quote.path("output").toString(), "recorded as the customizer's serializer wrote it: " + quote);
    }

    @Test
    void aSyncThatFailsLeavesTheAppUpButItsHealthDownWithTheReason() throws Exception {
        int closedPort;
        try (var socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        spring = start("http://127.0.0.1:" + closedPort);
        JsonNode health = get(base() + "/actuator/health/loomstep");
        assertEquals("DOWN", health.path("status").asText(), health.toString());
        assertFalse(health.path("components").path("loomstep").path("details").path("syncError").asText().isBlank(), health.toString());
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
        assertEquals("{\"status\":\"UP\",\"groups\":[\"loomstep\"]}", all.body(), "the overall health as Boot shows it by default: no component, the group named");
    }

    @Test
    void underBootsDefaultsAFailedSyncIsDownWith503ForProbesAndLoadBalancers() throws Exception {
        int closedPort;
        try (var socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        spring = startWithBootsDefaults("http://127.0.0.1:" + closedPort);
        var health = HTTP.send(HttpRequest.newBuilder(URI.create(base() + "/actuator/health/loomstep")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(503, health.statusCode(), health.body());
        assertEquals("{\"status\":\"DOWN\"}", health.body());
    }

    @Test
    void anAppInCloudModeWithoutASigningKeyIsWarnedAboutOnceInTheStartersTerms() throws Exception {
        int closedPort;
        try (var socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        // Boot would reset logback (and detach the capture) while it starts.
        String loggingSystem = System.setProperty("org.springframework.boot.logging.LoggingSystem", "none");
        try (var log = LogCapture.attach("dev.loomstep")) {
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
        } finally {
            if (loggingSystem == null) {
                System.clearProperty("org.springframework.boot.logging.LoggingSystem");
            } else {
                System.setProperty("org.springframework.boot.logging.LoggingSystem", loggingSystem);
            }
        }
    }

    /** Inngest's dev server re-syncs a registered app every few seconds: the app logs a sync once, not once per poll. */
    @Test
    void anUnchangedResyncIsNotLoggedAgainButAChangeIs() throws Exception {
        String loggingSystem = System.setProperty("org.springframework.boot.logging.LoggingSystem", "none");
        try (var log = LogCapture.attach("dev.loomstep.http")) {
            spring = start(dev.url());
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
        } finally {
            if (loggingSystem == null) {
                System.clearProperty("org.springframework.boot.logging.LoggingSystem");
            } else {
                System.setProperty("org.springframework.boot.logging.LoggingSystem", loggingSystem);
            }
        }
    }

    String base() {
        return "http://127.0.0.1:" + ((WebServerApplicationContext) spring).getWebServer().getPort();
    }
}
