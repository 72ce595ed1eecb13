package dev.loomstep.spring;

import static dev.loomstep.spring.DevServerRest.awaitRun;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;

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
import dev.loomstep.http.EventClient;
import java.io.IOException;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.autoconfigure.jackson.Jackson2ObjectMapperBuilderCustomizer;
import org.springframework.context.annotation.Bean;

/**
 * A real Spring Boot 3 app against the real devserver over loopback, its user values through the
 * application's own Jackson configuration (Boot 3's {@code ObjectMapper}). What does not depend on the
 * Boot version is {@link LoomstepAutoConfigurationTest}'s.
 */
class ApplicationObjectMapperTest extends StarterAppTest {

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
}
