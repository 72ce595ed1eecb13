package dev.loomstep.spring;

import static dev.loomstep.spring.DevServerRest.awaitRun;
import static dev.loomstep.spring.DevServerRest.get;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Event;
import dev.loomstep.Function;
import dev.loomstep.Loomstep;
import dev.loomstep.Trigger;
import dev.loomstep.devserver.DevServer;
import dev.loomstep.http.EventClient;
import dev.loomstep.protocol.Json;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.jackson.autoconfigure.JsonMapperBuilderCustomizer;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.JsonParser;
import tools.jackson.databind.DeserializationContext;
import tools.jackson.databind.SerializationContext;
import tools.jackson.databind.deser.std.StdDeserializer;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.module.SimpleModule;
import tools.jackson.databind.ser.std.StdSerializer;

/**
 * A real Spring Boot 4 app (Spring Framework 7, Tomcat 11, Jackson 3 as the application's JSON) with
 * this starter and no servlet registration of its own, against the real devserver over loopback: its
 * Function bean is served, synced at start-up and runs to completion; its health is at
 * {@code /actuator/health/loomstep}; its user values go through the application's Jackson 3 mapper.
 */
@Timeout(120)
class LoomstepBoot4AutoConfigurationTest {
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

    public record PriceRequest(String skuCode, Instant requestedAt) {}

    public record Quote(Money unitPrice, Instant validUntil) {}

    /** Money as text, the Jackson 3 way: a module added by Boot's JsonMapperBuilderCustomizer. */
    static SimpleModule moneyAsText() {
        return new SimpleModule("money").addSerializer(Money.class, new StdSerializer<>(Money.class) {
            @Override
            public void serialize(Money m, JsonGenerator gen, SerializationContext ctxt) {
                gen.writeString(m.cents() + " " + m.currency());
            }
        }).addDeserializer(Money.class, new StdDeserializer<>(Money.class) {
            @Override
            public Money deserialize(JsonParser p, DeserializationContext ctxt) {
                String[] parts = p.getValueAsString().split(" ");
                return new Money(Long.parseLong(parts[0]), parts[1]);
            }
        });
    }

    /** An app whose Jackson 3 is customised the Spring Boot 4 way: a customizer bean and a spring.jackson property. */
    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class PricingApp {
        @Bean
        JsonMapperBuilderCustomizer moneyAsText() {
            return builder -> builder.addModule(LoomstepBoot4AutoConfigurationTest.moneyAsText());
        }

        @Bean
        Function<PriceRequest, String> price() {
            return Function.builder("price").trigger(Trigger.event("shop/price"))
                    .handler(PriceRequest.class, (input, step) -> {
                        Quote quote = step.run("quote", Quote.class,
                                () -> new Quote(new Money(1250, "EUR"), Instant.parse("2030-01-02T03:04:05Z")));
                        List<Money> fees = step.run("fees", List.class, () -> List.of(new Money(99, "EUR")));
                        return input.data().skuCode() + " requested " + input.data().requestedAt() + " costs "
                                + quote.unitPrice().cents() + " " + quote.unitPrice().currency() + " until " + quote.validUntil()
                                + ", fees " + fees;
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
        spring = start(ShopApp.class, dev.url());
        String eventId = spring.getBean(EventClient.class).send(Event.of("shop/greet", new Greeting("ada"))).get(0);

        JsonNode run = awaitRun(dev, eventId, "Completed");
        assertEquals("hello ada", run.path("output").asText(), run.toString());
        JsonNode apps = get(dev.url() + "/v1/apps");
        assertTrue(apps.toString().contains("\"shop\""), apps.toString());
        JsonNode health = get(base() + "/actuator/health/loomstep");
        assertEquals("UP", health.path("status").asText(), health.toString());
        assertTrue(health.path("components").path("loomstepApp").path("details").path("syncedAs").asText().endsWith("/api/inngest"), health.toString());
    }

    @Test
    void theApplicationsJackson3ConfigurationAppliesToStepResultsAndEventDataEndToEnd() throws Exception {
        spring = start(PricingApp.class, dev.url(), "spring.jackson.property-naming-strategy=SNAKE_CASE");
        Loomstep app = spring.getBean(Loomstep.class);
        assertNotSame(Json.mapper(), app.objectMapper(), "not Loomstep's own mapper");
        JsonMapper jackson3 = spring.getBean(JsonMapper.class);
        var request = new PriceRequest("sku-1", Instant.parse("2029-05-06T07:08:09Z"));

        Event event = app.event("shop/price", request);
        assertEquals(jackson3.writeValueAsString(request), event.data().toString(), "the event data is what the app's Jackson 3 writes");
        assertEquals("{\"sku_code\":\"sku-1\",\"requested_at\":\"2029-05-06T07:08:09Z\"}", event.data().toString());
        String eventId = spring.getBean(EventClient.class).send(event).get(0);

        JsonNode run = awaitRun(dev, eventId, "Completed");
        // Bound with the same naming strategy, and the steps' Money read back by the module's deserializer.
        assertEquals("sku-1 requested 2029-05-06T07:08:09Z costs 1250 EUR until 2030-01-02T03:04:05Z, fees [99 EUR]",
                run.path("output").asText(), run.toString());
        assertEquals("{\"unit_price\":\"1250 EUR\",\"valid_until\":\"2030-01-02T03:04:05Z\"}", step(run, "quote").path("output").toString(),
                "recorded as the app's Jackson 3 wrote it");
        assertEquals("[\"99 EUR\"]", step(run, "fees").path("output").toString());
    }

    @Test
    void aSyncThatFailsLeavesTheAppUpButItsHealthDownWithTheReason() throws Exception {
        spring = start(ShopApp.class, "http://127.0.0.1:" + closedPort());
        JsonNode health = get(base() + "/actuator/health/loomstep");
        assertEquals("DOWN", health.path("status").asText(), health.toString());
        assertFalse(health.path("components").path("loomstepApp").path("details").path("syncError").asText().isBlank(), health.toString());
        var introspection = HTTP.send(HttpRequest.newBuilder(URI.create(base() + "/api/inngest")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, introspection.statusCode(), introspection.body());
        assertEquals(1, Json.mapper().readTree(introspection.body()).path("function_count").asInt(), introspection.body());
    }

    ConfigurableApplicationContext startWithBootsDefaults(String devServerUrl) {
        return new SpringApplicationBuilder(ShopApp.class).properties("server.port=0", "loomstep.app-id=shop",
                "loomstep.dev-server-url=" + devServerUrl).run();
    }

    @Test
    void underBootsDefaultsTheAppsHealthIsAtActuatorHealthLoomstepWithItsStatusAlone() throws Exception {
        spring = startWithBootsDefaults(dev.url());
        var health = HTTP.send(HttpRequest.newBuilder(URI.create(base() + "/actuator/health/loomstep")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, health.statusCode(), health.body());
        assertEquals("{\"status\":\"UP\"}", health.body());
        var all = HTTP.send(HttpRequest.newBuilder(URI.create(base() + "/actuator/health")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals("{\"groups\":[\"liveness\",\"loomstep\",\"readiness\"],\"status\":\"UP\"}", all.body(),
                "Boot 4's own overall health by default: no component, the groups named");
    }

    @Test
    void underBootsDefaultsAFailedSyncIsDownWith503() throws Exception {
        spring = startWithBootsDefaults("http://127.0.0.1:" + closedPort());
        var health = HTTP.send(HttpRequest.newBuilder(URI.create(base() + "/actuator/health/loomstep")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(503, health.statusCode(), health.body());
        assertEquals("{\"status\":\"DOWN\"}", health.body());
    }

    static JsonNode step(JsonNode run, String name) {
        for (JsonNode step : run.path("steps")) {
            if (name.equals(step.path("name").asText())) {
                return step;
            }
        }
        throw new AssertionError("no step " + name + " in " + run);
    }

    static int closedPort() throws Exception {
        try (var socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    String base() {
        return "http://127.0.0.1:" + ((WebServerApplicationContext) spring).getWebServer().getPort();
    }
}
