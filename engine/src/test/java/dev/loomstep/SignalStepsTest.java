package dev.loomstep;

import static dev.loomstep.Calls.body;
import static dev.loomstep.Calls.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.protocol.CallResult;
import dev.loomstep.protocol.Json;
import dev.loomstep.protocol.StepIds;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** {@code step.waitForSignal}, {@code step.sendSignal} and {@code app.sendSignal}. */
class SignalStepsTest {
    record Approval(String by, int level) {}

    /** Records signals and answers as Inngest's API does: a run id, or none for a signal nobody waits for. */
    static final class Signals implements EventSender {
        final List<String> sent = new ArrayList<>();

        @Override
        public List<String> send(List<Event> events) {
            throw new AssertionError("no events expected");
        }

        @Override
        public Optional<String> sendSignal(String signal, JsonNode data) {
            sent.add(signal + " " + data);
            return signal.endsWith("/nobody") ? Optional.empty() : Optional.of("01WAITING");
        }
    }

    final Signals signals = new Signals();

    final Function<?, ?> waits = Function.builder("waits").trigger(Trigger.event("test/event")).handler((in, step) -> {
        Optional<Approval> got = step.waitForSignal("approval", Approval.class,
                WaitForSignal.of("approve/order-1").timeout(Duration.ofMinutes(90)));
        return got.map(a -> a.by() + "@" + a.level()).orElse("timed out");
    });

    Loomstep app(Function<?, ?>... fns) {
        return Loomstep.builder("app").config(Config.from(Map.of("INNGEST_DEV", "1"))).eventSender(signals).functions(fns).build();
    }

    @Test
    void waitForSignalReportsTheSignalTimeoutAndNoConflictPolicyByDefault() {
        CallResult r = app(waits).call("app-waits", "step", request().build(), null);
        JsonNode op = body(r).get(0);
        assertEquals("WaitForSignal", op.path("op").asText());
        assertEquals(StepIds.hash("approval", 0), op.path("id").asText());
        assertEquals("approve/order-1", op.path("name").asText());
        assertEquals("approval", op.path("displayName").asText());
        assertEquals(Json.mapper().createObjectNode().put("signal", "approve/order-1").put("timeout", "1h30m"), op.path("opts"));

        var replacing = Function.builder("replacing").trigger(Trigger.event("test/event")).handler((in, step) ->
                step.waitForSignal("w", JsonNode.class, WaitForSignal.of("s").replaceOnConflict()).isPresent());
        JsonNode opts = body(app(replacing).call("app-replacing", "step", request().build(), null)).get(0).path("opts");
        assertEquals("replace", opts.path("conflict").asText());
    }

    @Test
    void waitForSignalBindsTheSignalsDataOrIsEmptyOnTimeout() {
        JsonNode received = Json.mapper().createObjectNode().set("data", Json.mapper().createObjectNode()
                .put("signal", "approve/order-1").set("data", Json.toTree(Map.of("by", "alice", "level", 2))));
        CallResult r = app(waits).call("app-waits", "step",
                request().raw(StepIds.hash("approval", 0), received).build(), null);
        assertEquals("alice@2", body(r).asText());

        CallResult timedOut = app(waits).call("app-waits", "step", request().raw(StepIds.hash("approval", 0), null).build(), null);
        assertEquals("timed out", body(timedOut).asText());
    }

    @Test
    void sendSignalStepSendsOnceAndRecordsTheResumedRun() {
        var fn = Function.builder("tells").trigger(Trigger.event("test/event")).handler((in, step) -> {
            Optional<String> a = step.sendSignal("tell", "approve/order-1", new Approval("bob", 1));
            Optional<String> b = step.sendSignal("tell-nobody", "approve/nobody", null);
            return a.orElse("-") + " " + b.orElse("-");
        });
        JsonNode op = body(app(fn).call("app-tells", "step", request().build(), null)).get(0);
        assertEquals("StepRun", op.path("op").asText());
        assertEquals("sendSignal", op.path("name").asText());
        assertEquals("tell", op.path("displayName").asText());
        assertEquals(Json.mapper().createObjectNode().put("type", "step.sendSignal").put("signal", "approve/order-1"), op.path("opts"));
        assertEquals("{\"runId\":\"01WAITING\"}", op.path("data").toString());
        assertEquals(List.of("approve/order-1 {\"by\":\"bob\",\"level\":1}"), signals.sent);

        JsonNode second = body(app(fn).call("app-tells", "step", request().memo("tell", Map.of("runId", "01WAITING")).build(), null)).get(0);
        assertEquals("{}", second.path("data").toString(), "no waiter: no run id, as JS records it");
        assertEquals(2, signals.sent.size(), "the memoized send is not repeated");

        CallResult done = app(fn).call("app-tells", "step", request().memo("tell", Map.of("runId", "01WAITING"))
                .memo("tell-nobody", Map.of()).build(), null);
        assertEquals("01WAITING -", body(done).asText());
    }

    @Test
    void appSendSignalGoesThroughTheSenderAndSaysWhenNobodyWaits() {
        Loomstep app = app(waits);
        assertEquals(Optional.of("01WAITING"), app.sendSignal("approve/order-1", new Approval("carol", 3)));
        assertFalse(app.sendSignal("approve/nobody", null).isPresent());
        assertEquals("approve/order-1 {\"by\":\"carol\",\"level\":3}", signals.sent.get(0));
        assertThrows(IllegalArgumentException.class, () -> app.sendSignal(" ", null));
        Loomstep eventsOnly = Loomstep.builder("app").config(Config.from(Map.of("INNGEST_DEV", "1")))
                .eventSender(events -> List.of()).functions(waits).build();
        var e = assertThrows(UnsupportedOperationException.class, () -> eventsOnly.sendSignal("s", null));
        assertEquals(true, e.getMessage().contains("cannot send signals"), e.getMessage());
    }
}
