package dev.loomstep;

import static dev.loomstep.Calls.body;
import static dev.loomstep.Calls.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.protocol.CallResult;
import dev.loomstep.protocol.Json;
import dev.loomstep.protocol.StepIds;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** The shape of every op Loomstep reports, and how each memoized shape is read back. */
class OpShapesTest {
    record Approval(String id, boolean approved) {}
    record Child(int v) {}
    record Score(String user, double value) {}

    final List<List<Event>> sent = new CopyOnWriteArrayList<>();

    Loomstep app(Function<?, ?>... fns) {
        return Loomstep.builder("app").config(Config.from(Map.of("INNGEST_DEV", "1"))).functions(fns)
                .eventSender(events -> {
                    sent.add(List.copyOf(events));
                    var ids = new ArrayList<String>();
                    for (int i = 0; i < events.size(); i++) {
                        ids.add("id-" + sent.size() + "-" + i);
                    }
                    return ids;
                }).build();
    }

    final Function<JsonNode, Object> wait = Function.builder("wait").trigger(Trigger.event("x")).handler((input, step) -> {
        Optional<Approval> got = step.waitForEvent("w", Approval.class, WaitForEvent.of("peer/approve")
                .timeout(Duration.ofHours(1)).ifExpression("event.data.id == async.data.id"));
        return got.map(a -> "approved=" + a.approved()).orElse("timed out");
    });

    @Test
    void waitForEventReportsTheEventTimeoutAndCondition() {
        JsonNode op = body(app(wait).call("app-wait", "step", request().build(), null)).get(0);
        assertEquals("WaitForEvent", op.get("op").asText());
        assertEquals(StepIds.sha1Hex("w"), op.get("id").asText());
        assertEquals("peer/approve", op.get("name").asText());
        assertEquals("w", op.get("displayName").asText());
        assertEquals("1h", op.get("opts").get("timeout").asText());
        assertEquals("event.data.id == async.data.id", op.get("opts").get("if").asText());
        assertEquals("peer/approve", op.get("opts").get("event").asText());
    }

    @Test
    void waitForEventResumesWithTheWholeEventOrItsWrappedForm() {
        var event = Json.toTree(Map.of("name", "peer/approve", "id", "e2", "ts", 1, "data", Map.of("id", "a", "approved", true)));
        CallResult bare = app(wait).call("app-wait", "step", request().raw(StepIds.sha1Hex("w"), event).build(), null);
        assertEquals("approved=true", body(bare).asText());
        CallResult wrapped = app(wait).call("app-wait", "step",
                request().raw(StepIds.sha1Hex("w"), Json.nodes().objectNode().set("data", event)).build(), null);
        assertEquals("approved=true", body(wrapped).asText());
    }

    @Test
    void waitForEventResumesEmptyOnTimeout() {
        assertEquals("timed out", body(app(wait).call("app-wait", "step", request().raw(StepIds.sha1Hex("w"), null).build(), null)).asText());
        var wrappedNull = Json.nodes().objectNode().putNull("data");
        assertEquals("timed out", body(app(wait).call("app-wait", "step", request().raw(StepIds.sha1Hex("w"), wrappedNull).build(), null)).asText());
    }

    final Function<JsonNode, Object> sleeps = Function.builder("sleeps").trigger(Trigger.event("x")).handler((input, step) -> {
        step.sleepUntil("until", Instant.parse("2030-01-01T00:00:00Z"));
        step.sleep("long", Duration.ofHours(2).plusMinutes(45));
        return "woke";
    });

    @Test
    void sleepUntilReportsAnRfc3339InstantWithMillis() {
        JsonNode op = body(app(sleeps).call("app-sleeps", "step", request().build(), null)).get(0);
        assertEquals("Sleep", op.get("op").asText());
        assertEquals("2030-01-01T00:00:00.000Z", op.get("name").asText());
        assertEquals("2030-01-01T00:00:00.000Z", op.get("opts").get("duration").asText());
        JsonNode next = body(app(sleeps).call("app-sleeps", "step", request().raw(StepIds.sha1Hex("until"), null).build(), null)).get(0);
        assertEquals("2h45m", next.get("name").asText());
    }

    final Function<JsonNode, Object> invoke = Function.builder("invoke").trigger(Trigger.event("x")).handler((input, step) -> {
        try {
            Child c = step.invoke("call-child", Child.class, Invoke.function("peer-child").data(Map.of("v", 21)).timeout(Duration.ofMinutes(5)));
            return "child said " + c.v();
        } catch (StepFailedException e) {
            return "child failed: " + e.errorMessage();
        }
    });

    @Test
    void invokeReportsTheCompositeIdPayloadAndTimeout() {
        JsonNode op = body(app(invoke).call("app-invoke", "step", request().build(), null)).get(0);
        assertEquals("InvokeFunction", op.get("op").asText());
        assertTrue(!op.has("name"), "the JS SDK sends invoke ops without a name");
        assertEquals("call-child", op.get("displayName").asText());
        assertEquals("peer-child", op.get("opts").get("function_id").asText());
        assertEquals("{\"data\":{\"v\":21}}", op.get("opts").get("payload").toString());
        assertEquals("5m", op.get("opts").get("timeout").asText());
    }

    @Test
    void invokeReturnsTheChildsResultOrThrowsItsError() {
        assertEquals("child said 42", body(app(invoke).call("app-invoke", "step", request().memo("call-child", Map.of("v", 42)).build(), null)).asText());
        assertEquals("child failed: it broke",
                body(app(invoke).call("app-invoke", "step", request().memoError("call-child", "Error", "it broke").build(), null)).asText());
    }

    @Test
    void invokeByIdResolvesAFunctionOfThisAppByItsLocalIdAndTakesOtherIdsAsComposite() {
        var child = Function.builder("child").trigger(Trigger.event("never")).handler((input, step) -> 1);
        var parent = Function.builder("parent").trigger(Trigger.event("x")).handler((input, step) -> step.parallel(List.of(
                () -> step.invoke("local", Integer.class, Invoke.function("child")),
                () -> step.invoke("composite", Integer.class, Invoke.function("billing-charge")),
                () -> step.invoke("other-app", Integer.class, Invoke.function("billing", "charge")))));
        JsonNode ops = body(app(parent, child).call("app-parent", "step", request().build(), null));
        assertEquals(List.of("app-child", "billing-charge", "billing-charge"), ops.findValuesAsText("function_id"), ops.toString());
    }

    @Test
    void subSecondSleepsAndTimeoutsAreSentInWholeSeconds() {
        var waits = Function.builder("waits").trigger(Trigger.event("x")).handler((input, step) -> {
            step.sleep("short", Duration.ofMillis(200));
            return step.waitForEvent("w", WaitForEvent.of("y").timeout(Duration.ofMillis(2500))).isPresent();
        });
        assertEquals("1s", body(app(waits).call("app-waits", "step", request().build(), null)).get(0).get("name").asText());
        JsonNode wait = body(app(waits).call("app-waits", "step", request().memo("short", null).build(), null)).get(0);
        assertEquals("2s", wait.get("opts").get("timeout").asText(), wait.toString());
    }

    @Test
    void invokeOfALocalFunctionUsesItsCompositeId() {
        var child = Function.builder("child").trigger(Trigger.event("never")).handler((input, step) -> 1);
        var parent = Function.builder("parent").trigger(Trigger.event("x")).handler((input, step) ->
                step.invoke("c", Integer.class, Invoke.function(child)));
        JsonNode op = body(app(parent, child).call("app-parent", "step", request().build(), null)).get(0);
        assertEquals("app-child", op.get("opts").get("function_id").asText());
        assertEquals("{\"data\":{}}", op.get("opts").get("payload").toString());
    }

    final Function<JsonNode, Object> send = Function.builder("send").trigger(Trigger.event("x")).handler((input, step) ->
            step.sendEvent("send-it", Event.of("app/one", Map.of("n", 1)), Event.of("app/two", Map.of("n", 2))));

    @Test
    void sendEventSendsOnceAndMemoizesTheIds() {
        CallResult r = app(send).call("app-send", "step", request().build(), null);
        JsonNode op = body(r).get(0);
        assertEquals("StepRun", op.get("op").asText());
        assertEquals("send-it", op.get("displayName").asText());
        assertEquals("sendEvent", op.get("name").asText());
        assertEquals("{\"type\":\"step.sendEvent\"}", op.get("opts").toString());
        assertEquals("[\"id-1-0\",\"id-1-1\"]", op.get("data").get("ids").toString());
        assertEquals(1, sent.size());
        assertEquals("app/two", sent.get(0).get(1).name());
        CallResult replay = app(send).call("app-send", "step", request().memo("send-it", Map.of("ids", List.of("x", "y"))).build(), null);
        assertEquals("[\"x\",\"y\"]", body(replay).toString());
        assertEquals(1, sent.size());
    }

    @Test
    void stepResultsBindToRecordsGenericsAndNulls() {
        var fn = Function.builder("typed").trigger(Trigger.event("x")).handler((input, step) -> {
            List<Score> scores = step.run("scores", new TypeReference<List<Score>>() {}, () -> List.of(new Score("a", 1.5)));
            Score none = step.run("none", Score.class, () -> null);
            Map<String, List<Integer>> nested = step.run("nested", new TypeReference<Map<String, List<Integer>>>() {}, () -> Map.of("k", List.of(1, 2)));
            return scores.get(0).user() + "|" + scores.get(0).value() + "|" + (none == null) + "|" + nested.get("k").get(1);
        });
        var a = app(fn);
        JsonNode first = body(a.call("app-typed", "step", request().build(), null)).get(0);
        assertEquals("[{\"user\":\"a\",\"value\":1.5}]", first.get("data").toString());
        JsonNode second = body(a.call("app-typed", "step", request().memo("scores", List.of(Map.of("user", "a", "value", 1.5))).build(), null)).get(0);
        assertTrue(second.get("data").isNull());
        CallResult done = a.call("app-typed", "step", request()
                .memo("scores", List.of(Map.of("user", "a", "value", 1.5)))
                .memo("none", null)
                .memo("nested", Map.of("k", List.of(1, 2))).build(), null);
        assertEquals("a|1.5|true|2", body(done).asText());
    }

    @Test
    void aVoidStepReportsNullData() {
        var fn = Function.builder("void").trigger(Trigger.event("x")).handler((input, step) -> {
            step.run("effect", () -> {});
            return null;
        });
        JsonNode op = body(app(fn).call("app-void", "step", request().build(), null)).get(0);
        assertTrue(op.has("data") && op.get("data").isNull());
        CallResult done = app(fn).call("app-void", "step", request().memo("effect", null).build(), null);
        assertEquals(200, done.status());
        assertEquals("null", new String(done.body()));
    }

    @Test
    void aMemoizedValueThatDoesNotFitTheTypeIsAClearError() {
        var fn = Function.builder("misfit").trigger(Trigger.event("x")).handler((input, step) -> step.run("n", Integer.class, () -> 1));
        CallResult r = app(fn).call("app-misfit", "step", request().memo("n", Map.of("not", "a number")).build(), null);
        assertEquals(500, r.status());
        assertTrue(body(r).get("message").asText().startsWith("the memoized result of step \"n\" does not fit java.lang.Integer"));
    }

    @Test
    void theBatchIsBoundToo() {
        record Item(int n) {}
        var fn = Function.builder("batch").trigger(Trigger.event("x")).handler(Item.class, (input, step) ->
                input.dataBatch().stream().mapToInt(Item::n).sum());
        var c = request().data(Map.of("n", 1)).build();
        var two = new dev.loomstep.protocol.CallRequest(c.event(), List.of(c.event(),
                new Event("e2", "x", (com.fasterxml.jackson.databind.node.ObjectNode) Json.toTree(Map.of("n", 5)), null, 1L, null)),
                c.steps(), c.ctx(), 1, null);
        assertEquals(6, body(app(fn).call("app-batch", "step", two, null)).asInt());
    }
}
