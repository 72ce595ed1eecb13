package dev.loomstep;

import static dev.loomstep.Calls.body;
import static dev.loomstep.Calls.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.middleware.Middleware;
import dev.loomstep.protocol.CallResult;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The send-events hooks against a real event API on loopback, when it accepts and when it fails. */
class SendEventsMiddlewareTest {
    static EventApi api;

    /** What each afterSendEvents overload saw. */
    final List<String> outcomes = new CopyOnWriteArrayList<>();
    final List<Throwable> errors = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void startApi() throws Exception {
        api = EventApi.start();
    }

    @AfterAll
    static void stopApi() {
        api.close();
    }

    @BeforeEach
    void reset() {
        api.clear();
    }

    Loomstep app() {
        Middleware withOutcome = new Middleware() {
            @Override
            public void afterSendEvents(List<Event> events, List<String> ids, Throwable error) {
                outcomes.add("outcome:" + events.size() + ":" + ids + ":" + (error == null ? "ok" : "error"));
                if (error != null) {
                    errors.add(error);
                }
            }
        };
        Middleware successOnly = new Middleware() {
            @Override
            public void afterSendEvents(List<Event> events, List<String> ids) {
                outcomes.add("success-only:" + ids);
            }
        };
        var fn = Function.builder("f").trigger(Trigger.event("x"))
                .handler((input, step) -> step.sendEvent("s", Event.of("shop/order.paid", Map.of("order", 7))));
        return Loomstep.builder("app")
                .config(Config.from(Map.of("INNGEST_DEV", "1", "INNGEST_EVENT_API_BASE_URL", api.origin())))
                .eventSender(api.sender(Loomstep.SDK_HEADER))
                .middleware(withOutcome).middleware(successOnly)
                .functions(fn).build();
    }

    @Test
    void afterSendEventsGetsTheIdsWhenTheEventApiAccepts() {
        CallResult r = app().call("app-f", "step", request().build(), null);
        JsonNode op = body(r).get(0);
        assertEquals("StepRun", op.get("op").asText());
        String ids = op.get("data").get("ids").toString().replace("\"", "").replace(",", ", ");
        assertEquals(List.of("outcome:1:" + ids + ":ok", "success-only:" + ids), outcomes);
        assertEquals(1, api.received(Loomstep.SDK_HEADER).size());
    }

    @Test
    void afterSendEventsGetsTheErrorWhenTheEventApiFails() {
        api.failWith(500);
        CallResult r = app().call("app-f", "step", request().maxAttempts(1).build(), null);
        JsonNode op = body(r).get(0);
        assertEquals("StepFailed", op.get("op").asText());
        // The success-only overload is not called; the outcome overload is, with no ids and the error.
        assertEquals(List.of("outcome:1:[]:error"), outcomes);
        assertTrue(errors.get(0).getMessage().contains("event API answered 500"), errors.get(0).getMessage());
        assertTrue(op.get("error").get("message").asText().contains("event API answered 500"));
    }

    @Test
    void aClientSendThatFailsReachesTheHookAndTheCaller() {
        api.failWith(502);
        Loomstep app = app();
        var thrown = assertThrows(IllegalStateException.class, () -> app.send(Event.of("a", Map.of())));
        assertEquals(List.of("outcome:1:[]:error"), outcomes);
        assertEquals(thrown, errors.get(0));
    }
}
