package dev.loomstep.devserver.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.loomstep.protocol.Json;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class CanonicalJsonTest {
    private static String canonical(String json) throws Exception {
        return new String(CanonicalJson.bytes(Json.mapper().readTree(json)), StandardCharsets.UTF_8);
    }

    @Test
    void sortsKeysAtEveryLevelAndDropsWhitespace() throws Exception {
        assertEquals("{\"a\":[{\"x\":1,\"y\":2}],\"b\":{\"c\":null,\"d\":true}}",
                canonical("{ \"b\": {\"d\": true, \"c\": null}, \"a\": [ {\"y\": 2, \"x\": 1} ] }"));
    }

    @Test
    void writesNumbersAsJavaScriptDoes() throws Exception {
        assertEquals("[1,1.5,-0.25,1e+21,1e-7,123456789012,0.000001,100]", canonical("[1.0, 1.5, -0.25, 1e21, 1e-7, 123456789012, 0.000001, 1e2]"));
    }

    @Test
    void escapesStringsAsJsonStringifyDoes() throws Exception {
        assertEquals("\"a\\\"b\\\\c\\n\\u0001é💥/\"", canonical("\"a\\\"b\\\\c\\n\\u0001é💥\\/\""));
    }
}
