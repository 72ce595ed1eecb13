package dev.loomstep.devserver.flow;

import static dev.loomstep.devserver.flow.Events.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

class FlowKeysTest {
    static final JsonNode EVENT = json("{\"data\": {\"user_id\": \"u_1\", \"n\": 42.0, \"org\": {\"id\": 7}, \"vip\": true}}");

    @Test
    void noExpressionMeansOneKeyForTheFunction() {
        assertEquals("", FlowKeys.evaluate(null, EVENT));
        assertEquals("", FlowKeys.evaluate(" ", EVENT));
        assertEquals("fn-a:", FlowKeys.scoped("fn-a", null, EVENT));
    }

    @Test
    void evaluatesTheKeyOverTheEvent() {
        assertEquals("u_1", FlowKeys.evaluate("event.data.user_id", EVENT));
        assertEquals("42", FlowKeys.evaluate("event.data.n", EVENT));
        assertEquals("7-u_1", FlowKeys.evaluate("string(event.data.org.id) + '-' + event.data.user_id", EVENT));
        assertEquals("fn-a:u_1", FlowKeys.scoped("fn-a", "event.data.user_id", EVENT));
    }

    @Test
    void aMissingFieldGivesTheNullKey() {
        assertEquals(FlowKeys.NULL_KEY, FlowKeys.evaluate("event.data.account_id", EVENT));
        assertEquals(FlowKeys.evaluate("event.data.account_id", EVENT), FlowKeys.evaluate("event.data.account_id", json("{\"data\": {\"account_id\": null}}")));
    }

    @Test
    void recognisesAFalseKey() {
        assertTrue(FlowKeys.isFalse("event.data.vip == false", json("{\"data\": {\"vip\": true}}")));
        assertFalse(FlowKeys.isFalse("event.data.vip == false", json("{\"data\": {\"vip\": false}}")));
        assertFalse(FlowKeys.isFalse("event.data.user_id", EVENT));
        assertFalse(FlowKeys.isFalse("event.data.missing", EVENT));
        assertFalse(FlowKeys.isFalse(null, EVENT));
    }

    @Test
    void rejectsKeysThatDoNotCompile() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FlowKeys.evaluate("event.data.", EVENT));
        assertTrue(e.getMessage().startsWith("invalid expression \"event.data.\""), e.getMessage());
    }
}
