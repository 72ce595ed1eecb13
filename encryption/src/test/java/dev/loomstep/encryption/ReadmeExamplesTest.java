package dev.loomstep.encryption;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Event;
import dev.loomstep.Function;
import dev.loomstep.Loomstep;
import dev.loomstep.Trigger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The snippets of encryption/README.md, compiled, and what they promise. */
class ReadmeExamplesTest {

    @Test
    void theAppLevelMiddlewareOfTheReadmeEncryptsTheEncryptedFieldOfSentEvents() {
        String key = "from-the-environment";
        String card = "4242 4242 4242 4242";
        Function<JsonNode, Object> checkout = Function.builder("checkout").trigger(Trigger.event("shop/paid"))
                .handler((in, step) -> in.data().path("encrypted").path("card").asText());

        var app = Loomstep.builder("shop")
                .middleware(EncryptionMiddleware.builder()
                        .key(key)
                        .build())
                .functions(checkout)
                .build();

        var events = new ArrayList<>(List.of(Event.of("shop/paid", Map.of("orderId", 7, "encrypted", Map.of("card", card)))));
        app.middleware().forEach(m -> m.beforeSendEvents(events));
        assertEquals(7, events.get(0).data().get("orderId").asInt());
        assertTrue(events.get(0).data().get("encrypted").get("__ENCRYPTED__").asBoolean(), events.toString());
        assertEquals(Map.of("card", card), Map.of("card", EncryptionMiddleware.builder().key(key).build().onRun(null)
                .transformStepResult("x", events.get(0).data().get("encrypted")).get("card").asText()));
    }

    @Test
    void aMissingKeyIsRefusedWhenTheMiddlewareIsBuilt() {
        var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> EncryptionMiddleware.builder().key(System.getenv("SURELY_UNSET_ENCRYPTION_KEY")).build());
        assertEquals("the encryption middleware needs a key: none given, or all blank", e.getMessage());
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> EncryptionMiddleware.builder().key("  ").fallbackKeys(List.of("")).build());
    }
}
