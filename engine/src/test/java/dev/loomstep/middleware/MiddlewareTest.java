package dev.loomstep.middleware;

import static dev.loomstep.Calls.body;
import static dev.loomstep.Calls.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Config;
import dev.loomstep.Event;
import dev.loomstep.Function;
import dev.loomstep.Loomstep;
import dev.loomstep.Trigger;
import dev.loomstep.protocol.CallResult;
import dev.loomstep.protocol.Json;
import dev.loomstep.protocol.RawRequest;
import dev.loomstep.protocol.StepIds;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

class MiddlewareTest {
    record Database(String name) {}

    final List<String> calls = new CopyOnWriteArrayList<>();

    Middleware recording(String who) {
        return new Middleware() {
            @Override
            public RunHooks onRun(RunContext run) {
                calls.add(who + ":onRun:" + run.functionId() + ":" + run.runId());
                return new RunHooks() {
                    public void transformInput(InputContext input) { calls.add(who + ":transformInput"); }
                    public void beforeMemoization() { calls.add(who + ":beforeMemoization"); }
                    public void afterMemoization() { calls.add(who + ":afterMemoization"); }
                    public void beforeExecution(StepInfo step) { calls.add(who + ":beforeExecution:" + (step == null ? "fn" : step.id())); }
                    public void afterExecution(StepInfo step) { calls.add(who + ":afterExecution:" + (step == null ? "fn" : step.id())); }
                    public void transformOutput(OutputContext output) { calls.add(who + ":transformOutput:" + (output.step() == null ? "fn" : output.step().id())); }
                    public void beforeResponse() { calls.add(who + ":beforeResponse"); }
                };
            }

            @Override
            public void beforeSendEvents(List<Event> events) {
                calls.add(who + ":beforeSend:" + events.size());
            }

            @Override
            public void afterSendEvents(List<Event> events, List<String> ids) {
                calls.add(who + ":afterSend:" + ids);
            }
        };
    }

    Loomstep.Builder builder() {
        return Loomstep.builder("app").config(Config.from(Map.of("INNGEST_DEV", "1")));
    }

    @Test
    void hooksRunInOrderClientLevelBeforeFunctionLevel() {
        var fn = Function.builder("f").trigger(Trigger.event("x")).middleware(recording("fn"))
                .handler((input, step) -> step.run("a", Integer.class, () -> 1) + step.run("b", Integer.class, () -> 2));
        var app = builder().middleware(recording("client")).functions(fn).build();
        app.call("app-f", "step", request().memo("a", 1).build(), null);
        assertEquals(List.of(
                "client:onRun:app-f:01RUN", "fn:onRun:app-f:01RUN",
                "client:transformInput", "fn:transformInput",
                "client:beforeMemoization", "fn:beforeMemoization",
                "client:afterMemoization", "fn:afterMemoization",
                "client:beforeExecution:fn", "fn:beforeExecution:fn",
                "client:afterExecution:fn", "fn:afterExecution:fn",
                "client:beforeExecution:b", "fn:beforeExecution:b",
                "client:afterExecution:b", "fn:afterExecution:b",
                "client:transformOutput:b", "fn:transformOutput:b",
                "client:beforeResponse", "fn:beforeResponse"), calls);
    }

    @Test
    void middlewareInjectsContextAndSeesTheRawRequest() {
        var fn = Function.builder("f").trigger(Trigger.event("x")).handler((input, step) ->
                input.context(Database.class).map(Database::name).orElse("none") + "|" + input.request().map(r -> r.header("x-trace")).orElse("-"));
        var app = builder().middleware(new Middleware() {
            @Override
            public RunHooks onRun(RunContext run) {
                run.inject(Database.class, new Database("orders-db:" + run.request().map(r -> r.method()).orElse("?")));
                return RunHooks.NONE;
            }
        }).functions(fn).build();
        var raw = new RawRequest("POST", "http://localhost/api/inngest?fnId=app-f", Map.of("X-Trace", List.of("t-1")), new byte[0]);
        assertEquals("orders-db:POST|t-1", body(app.call("app-f", "step", request().build(), raw)).asText());
    }

    @Test
    void middlewareMayRewriteMemoizedDataTheEventAndTheOutput() {
        var fn = Function.builder("f").trigger(Trigger.event("x")).handler((input, step) ->
                input.event().name() + ":" + step.run("a", Integer.class, () -> 1));
        var app = builder().middleware(new Middleware() {
            @Override
            public RunHooks onRun(RunContext run) {
                return new RunHooks() {
                    public void transformInput(InputContext input) {
                        input.events().set(0, Event.of("rewritten", Map.of()));
                        input.steps().put(StepIds.sha1Hex("a"), Json.toTree(Map.of("data", 41)));
                    }

                    public void transformOutput(OutputContext output) {
                        output.result(Json.nodes().textNode(output.result().asText() + "!"));
                    }
                };
            }
        }).functions(fn).build();
        assertEquals("rewritten:41!", body(app.call("app-f", "step", request().build(), null)).asText());
    }

    @Test
    void middlewareMayTurnAnErrorIntoAResult() {
        var fn = Function.builder("f").trigger(Trigger.event("x")).handler((input, step) -> {
            throw new IllegalStateException("boom");
        });
        var app = builder().middleware(new Middleware() {
            @Override
            public RunHooks onRun(RunContext run) {
                return new RunHooks() {
                    public void transformOutput(OutputContext output) {
                        if (output.error() != null) {
                            output.result(Json.nodes().textNode("recovered from " + output.error().getMessage()));
                        }
                    }
                };
            }
        }).functions(fn).build();
        CallResult r = app.call("app-f", "step", request().build(), null);
        assertEquals(200, r.status());
        assertEquals("recovered from boom", body(r).asText());
    }

    @Test
    void sendHooksMayChangeOutgoingEvents() {
        var seen = new ArrayList<Event>();
        var fn = Function.builder("f").trigger(Trigger.event("x")).handler((input, step) -> step.sendEvent("s", Event.of("a", Map.of())));
        var app = builder().middleware(recording("client")).middleware(new Middleware() {
            @Override
            public void beforeSendEvents(List<Event> events) {
                events.replaceAll(e -> e.withUser(Map.of("tenant", "t1")));
            }
        }).eventSender(events -> {
            seen.addAll(events);
            return List.of("id-1");
        }).functions(fn).build();
        app.call("app-f", "step", request().build(), null);
        assertEquals("{\"tenant\":\"t1\"}", seen.get(0).user().toString());
        assertTrue(calls.contains("client:beforeSend:1"));
        assertTrue(calls.contains("client:afterSend:[id-1]"));
    }

    @Test
    void loggingMiddlewarePutsRunAndStepIdsInTheMdcWhileAStepRuns() {
        var fn = Function.builder("f").trigger(Trigger.event("x")).handler((input, step) ->
                step.run("a", String.class, () -> MDC.get("run_id") + "/" + MDC.get("fn_id") + "/" + MDC.get("step_id")));
        var app = builder().middleware(new LoggingMiddleware()).functions(fn).build();
        JsonNode op = body(app.call("app-f", "step", request().build(), null)).get(0);
        assertEquals("01RUN/app-f/a", op.get("data").asText());
    }
}
