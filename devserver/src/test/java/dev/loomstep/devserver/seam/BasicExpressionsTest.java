package dev.loomstep.devserver.seam;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loomstep.Event;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BasicExpressionsTest {
    private final Expressions x = new BasicExpressions();
    private final Event order = Event.of("shop/order", Map.of("id", 7, "user", Map.of("name", "ada"), "tier", "gold"));
    private final Event same = Event.of("shop/paid", Map.of("id", 7.0, "user", Map.of("name", "ada")));
    private final Event other = Event.of("shop/paid", Map.of("id", 8));

    @Test
    void treatsNoExpressionAsAlwaysTrue() {
        assertTrue(x.trigger(null, order));
        assertTrue(x.waitFor(null, null, order, other));
        assertTrue(x.cancel(" ", order, other));
    }

    @Test
    void comparesPathsAndLiterals() {
        assertTrue(x.trigger("event.data.tier == 'gold'", order));
        assertTrue(x.trigger("event.data.tier != \"silver\" && event.data.user.name == 'ada'", order));
        assertFalse(x.trigger("event.data.tier == 'silver'", order));
        assertTrue(x.trigger("event.data.missing == null", order));
        assertTrue(x.waitFor("event.data.id == async.data.id", null, order, same), "numbers compare by value");
        assertFalse(x.waitFor("event.data.id == async.data.id", null, order, other));
    }

    @Test
    void supportsTheLegacyMatchField() {
        assertTrue(x.waitFor(null, "data.user.name", order, same));
        assertFalse(x.waitFor(null, "data.id", order, other));
    }

    @Test
    void rejectsWhatOnlyCelCanEvaluate() {
        assertThrows(IllegalArgumentException.class, () -> x.trigger("event.data.id > 3", order));
        assertThrows(IllegalArgumentException.class, () -> x.trigger("size(event.data) == 1", order));
        assertThrows(IllegalArgumentException.class, () -> x.trigger("a || b", order));
    }
}
