package dev.loomstep.devserver.executor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.protocol.Json;
import org.junit.jupiter.api.Test;

/** Every shape of {@code concurrency} the SDKs sync becomes the list our function config reads. */
class RegistryConcurrencyTest {

    private static String list(String json) {
        try {
            JsonNode out = Registry.concurrencyList(json == null ? null : Json.mapper().readTree(json));
            return out == null ? null : Json.toString(out);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void jsShapesANumberAnObjectOrAList() {
        assertEquals("[{\"limit\":2}]", list("2"));
        assertEquals("[{\"limit\":2,\"key\":\"event.data.id\"}]", list("{\"limit\":2,\"key\":\"event.data.id\"}"));
        assertEquals("[{\"limit\":1,\"scope\":\"fn\"},{\"limit\":5,\"scope\":\"account\"}]",
                list("[{\"limit\":1,\"scope\":\"fn\"},{\"limit\":5,\"scope\":\"account\"}]"));
        assertNull(list(null));
    }

    @Test
    void inngestgoFnAndStepListsWithCapitalisedScopes() {
        // inngestgo 0.16: {"fn": [...], "step": [...]}; scopes spelled as Go's enum ("Fn"), which Inngest reads in any case.
        assertEquals("[{\"limit\":1,\"scope\":\"fn\",\"hash\":\"\"}]", list("{\"step\":[{\"limit\":1,\"scope\":\"Fn\",\"hash\":\"\"}]}"));
        assertEquals("[{\"limit\":3,\"hash\":\"\"},{\"limit\":1,\"key\":\"event.data.k\",\"scope\":\"env\",\"hash\":\"\"}]",
                list("{\"fn\":[{\"limit\":3,\"hash\":\"\"}],\"step\":[{\"limit\":1,\"key\":\"event.data.k\",\"scope\":\"Env\",\"hash\":\"\"}]}"));
    }

    @Test
    void aFnOrStepPartThatIsNotAListIsRefused() {
        var e = assertThrows(IllegalArgumentException.class, () -> list("{\"step\":{\"limit\":1}}"));
        assertEquals("concurrency.step must be a list of limits, got {\"limit\":1}", e.getMessage());
    }
}
