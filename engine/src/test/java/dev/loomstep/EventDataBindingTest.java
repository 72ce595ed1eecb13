package dev.loomstep;

import static dev.loomstep.Calls.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loomstep.protocol.CallResult;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Event data that cannot be read as the handler's input type fails the run for good, naming the type and the field. */
class EventDataBindingTest {
    public record Order(String id, int cents) {}

    final AtomicInteger handled = new AtomicInteger();

    CallResult call(Object data) {
        var fn = Function.builder("checkout").trigger(Trigger.event("shop/order")).retries(3).handler(Order.class, (in, step) -> {
            Order o = in.data();
            handled.incrementAndGet();
            return o.cents();
        });
        Loomstep app = Loomstep.builder("app").config(Config.from(Map.of("INNGEST_DEV", "1"))).functions(fn).build();
        return app.call("app-checkout", "step", request().data(data).maxAttempts(4).build(), null);
    }

    @Test
    void dataOfTheWrongShapeIsNotRetried() {
        CallResult r = call(Map.of("id", "o-1", "cents", "lots"));

        assertTrue(r.noRetry(), "the event will not change on a retry");
        String text = Calls.body(r).toString();
        assertTrue(text.contains("NonRetriableError"), text);
        assertTrue(text.contains(Order.class.getName()), text);
        assertTrue(text.contains("field \\\"cents\\\""), text);
        assertEquals(0, handled.get());
    }

    @Test
    void dataThatFitsRuns() {
        CallResult r = call(Map.of("id", "o-1", "cents", 5));
        assertEquals(200, r.status(), String.valueOf(r.body()));
        assertEquals(1, handled.get());
    }
}
