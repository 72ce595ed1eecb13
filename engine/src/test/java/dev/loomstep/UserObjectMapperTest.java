package dev.loomstep;

import static dev.loomstep.Calls.body;
import static dev.loomstep.Calls.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import dev.loomstep.protocol.CallResult;
import dev.loomstep.protocol.Json;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * An app's own ObjectMapper (here: a module writing money as text, and snake_case names) applies to its
 * user values — step results, bound event data, function results, invoke payloads — while the wire
 * envelope around them stays exactly Loomstep's.
 */
class UserObjectMapperTest {
    public record Money(long cents, String currency) {}

    public record Order(String customerName, Money total) {}

    /** What a user's mapper might hold: a custom serializer module and a naming strategy. */
    static ObjectMapper userMapper() {
        var money = new SimpleModule("money-as-text")
                .addSerializer(Money.class, new StdSerializer<>(Money.class) {
                    @Override
                    public void serialize(Money m, JsonGenerator gen, SerializerProvider provider) throws IOException {
                        gen.writeString(m.cents() + " " + m.currency());
                    }
                })
                .addDeserializer(Money.class, new StdDeserializer<>(Money.class) {
                    @Override
                    public Money deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
                        String[] parts = p.getValueAsString().split(" ");
                        return new Money(Long.parseLong(parts[0]), parts[1]);
                    }
                });
        return JsonMapper.builder().addModule(money).propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE).build();
    }

    static Loomstep app(ObjectMapper mapper, Function<?, ?>... fns) {
        var b = Loomstep.builder("app").config(Config.from(Map.of("INNGEST_DEV", "1"))).functions(fns);
        if (mapper != null) {
            b.objectMapper(mapper);
        }
        return b.build();
    }

    static CallResult call(Loomstep app, Function<?, ?> fn, Calls request) {
        return app.call("app-" + fn.id(), "step", request.build(), null);
    }

    static List<String> fieldNames(JsonNode node) {
        var out = new ArrayList<String>();
        node.fieldNames().forEachRemaining(out::add);
        return out;
    }

    final Function<JsonNode, Order> checkout = Function.builder("checkout").trigger(Trigger.event("test/event"))
            .handler((input, step) -> new Order("ada", step.run("price", Money.class, () -> new Money(1250, "EUR"))));

    @Test
    void aStepResultIsWrittenWithTheAppsMapperInsideLoomstepsOwnEnvelope() {
        JsonNode op = body(call(app(userMapper(), checkout), checkout, request())).get(0);
        assertEquals("StepRun", op.get("op").asText(), op.toString());
        assertEquals("1250 EUR", op.get("data").asText(), op.toString());
        // snake_case applies to user values only: the op keeps the protocol's camelCase displayName.
        assertEquals(List.of("id", "op", "name", "displayName", "data", "timing"), fieldNames(op), op.toString());
        assertEquals(List.of("a", "b"), fieldNames(op.get("timing")), "when the step ran, as the JS SDK says it");

        JsonNode plain = body(call(app(null, checkout), checkout, request())).get(0);
        assertEquals("{\"cents\":1250,\"currency\":\"EUR\"}", plain.get("data").toString(), "without a mapper, Loomstep's own");
    }

    @Test
    void aMemoizedStepResultIsReadBackAndTheFunctionResultWrittenWithTheAppsMapper() {
        CallResult r = call(app(userMapper(), checkout), checkout, request().memo("price", "1250 EUR"));
        assertEquals(200, r.status());
        assertEquals("{\"customer_name\":\"ada\",\"total\":\"1250 EUR\"}", body(r).toString());
    }

    @Test
    void eventDataIsBoundToTheFunctionsTypeWithTheAppsMapper() {
        var bill = Function.builder("bill").trigger(Trigger.event("test/event"))
                .handler(Order.class, (input, step) -> input.data().customerName() + " owes " + input.data().total().cents());
        CallResult r = call(app(userMapper(), bill), bill, request().data(Map.of("customer_name", "ada", "total", "1250 EUR")));
        assertEquals(200, r.status(), new String(r.body()));
        assertEquals("ada owes 1250", body(r).asText());
    }

    @Test
    void anInvokePayloadIsWrittenWithTheAppsMapperAndItsOptsKeepTheWireNames() {
        var parent = Function.builder("parent").trigger(Trigger.event("test/event")).handler((input, step) ->
                step.invoke("bill", Money.class, Invoke.function("billing").data(new Order("ada", new Money(5, "EUR")))));
        JsonNode op = body(call(app(userMapper(), parent), parent, request())).get(0);
        assertEquals("InvokeFunction", op.get("op").asText(), op.toString());
        assertEquals("billing", op.get("opts").get("function_id").asText(), op.toString());
        assertEquals("{\"data\":{\"customer_name\":\"ada\",\"total\":\"5 EUR\"}}", op.get("opts").get("payload").toString());

        CallResult done = call(app(userMapper(), parent), parent, request().memo("bill", "7 EUR"));
        assertEquals("\"7 EUR\"", body(done).toString(), "the child's result is read with the app's mapper too");
    }

    @Test
    void aFailedStepsErrorKeepsLoomstepsWireShape() {
        var failing = Function.builder("failing").trigger(Trigger.event("test/event")).handler((input, step) ->
                step.run("charge", Money.class, () -> {
                    throw new IllegalStateException("card declined");
                }));
        JsonNode op = body(call(app(userMapper(), failing), failing, request().maxAttempts(4))).get(0);
        assertEquals("StepError", op.get("op").asText(), op.toString());
        assertEquals("IllegalStateException", op.get("error").get("name").asText());
        assertEquals("card declined", op.get("error").get("message").asText());
        assertTrue(op.has("displayName") && !op.has("display_name"), op.toString());
    }

    @Test
    void theEmptyBeanCheckHoldsEvenWhenTheAppsMapperTurnsItOff() {
        var lenient = JsonMapper.builder().disable(SerializationFeature.FAIL_ON_EMPTY_BEANS).build();
        var lock = Function.builder("lock").trigger(Trigger.event("test/event"))
                .handler((input, step) -> step.run("lock", Object.class, Object::new));
        JsonNode op = body(call(app(lenient, lock), lock, request().maxAttempts(4))).get(0);
        assertEquals("StepFailed", op.get("op").asText(), op.toString());
        assertTrue(op.get("error").get("message").asText().contains("would be recorded as {}"), op.toString());
    }

    @Test
    void appEventWritesDataWithTheAppsMapperAndEventOfWithLoomsteps() {
        ObjectMapper mapper = userMapper();
        Loomstep app = app(mapper, checkout);
        assertSame(mapper, app.objectMapper());
        assertSame(Json.mapper(), app(null, checkout).objectMapper());

        var order = new Order("ada", new Money(1250, "EUR"));
        assertEquals("{\"customer_name\":\"ada\",\"total\":\"1250 EUR\"}", app.event("shop/order", order).data().toString());
        assertEquals("{\"customerName\":\"ada\",\"total\":{\"cents\":1250,\"currency\":\"EUR\"}}",
                Event.of("shop/order", order).data().toString());
        assertFalse(app.event("shop/order", order).data().has("customerName"));
    }
}
