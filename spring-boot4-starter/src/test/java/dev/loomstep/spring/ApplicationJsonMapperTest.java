package dev.loomstep.spring;

import static dev.loomstep.spring.DevServerRest.awaitRun;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Event;
import dev.loomstep.Function;
import dev.loomstep.Loomstep;
import dev.loomstep.Trigger;
import dev.loomstep.http.EventClient;
import dev.loomstep.protocol.Json;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.jackson.autoconfigure.JsonMapperBuilderCustomizer;
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
 * A real Spring Boot 4 app (Spring Framework 7, Tomcat 11, Jackson 3 as the application's JSON) against
 * the real devserver over loopback, its user values through the application's Jackson 3 mapper. What
 * does not depend on the Boot version is {@link LoomstepAutoConfigurationTest}'s.
 */
class ApplicationJsonMapperTest extends StarterAppTest {

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
            return builder -> builder.addModule(ApplicationJsonMapperTest.moneyAsText());
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

    static JsonNode step(JsonNode run, String name) {
        for (JsonNode step : run.path("steps")) {
            if (name.equals(step.path("name").asText())) {
                return step;
            }
        }
        throw new AssertionError("no step " + name + " in " + run);
    }
}
