package dev.loomstep.middleware;

import static dev.loomstep.Calls.body;
import static dev.loomstep.Calls.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Config;
import dev.loomstep.Drive;
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
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.slf4j.LoggerFactory;
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
    void anInvokePayloadMayBeRewrittenBeforeItIsReported() {
        var seen = new ArrayList<StepInfo>();
        Middleware sealing = new Middleware() {
            @Override
            public RunHooks onRun(RunContext run) {
                return new RunHooks() {
                    public void transformInvokePayload(StepInfo step, com.fasterxml.jackson.databind.node.ObjectNode payload) {
                        seen.add(step);
                        payload.set("data", Json.nodes().objectNode().set("sealed", payload.get("data")));
                    }
                };
            }
        };
        var fn = Function.builder("f").trigger(Trigger.event("x"))
                .handler((input, step) -> step.invoke("call", Integer.class, dev.loomstep.Invoke.function("app", "child").data(Map.of("v", 1))));
        var app = builder().middleware(sealing).functions(fn).build();
        JsonNode op = body(app.call("app-f", "step", request().build(), null)).get(0);
        assertEquals("InvokeFunction", op.get("op").asText(), op.toString());
        assertEquals(1, op.get("opts").get("payload").get("data").get("sealed").get("v").asInt(), op.toString());
        assertEquals(List.of(new StepInfo("call", StepIds.hash("call", 0), "invoke")), seen);
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

    @ParameterizedTest
    @EnumSource(Drive.Mode.class)
    void middlewareMayRewriteMemoizedDataTheEventAndTheOutput(Drive.Mode mode) {
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
        Drive.Outcome o = Drive.run(app, "app-f", mode, request());
        assertEquals(200, o.status());
        assertEquals("rewritten:41!", o.result().asText());
        assertEquals(1, o.requests(), "the rewritten memo is used: no step runs");
    }

    /** A middleware that throws is the step's (or the function's) error, answered as such: the call never hangs. */
    @org.junit.jupiter.api.Timeout(value = 20, threadMode = org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD)
    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"beforeExecution", "afterExecution", "transformOutput"})
    void aThrowingStepHookIsTheStepsErrorAndTheCallIsAnswered(String hook) {
        var fn = Function.builder("f").trigger(Trigger.event("x")).handler((input, step) -> step.run("a", Integer.class, () -> 1));
        var app = builder().middleware(throwingIn(hook, true)).functions(fn).build();
        CallResult r = app.call("app-f", "step", request().build(), null);
        assertEquals(206, r.status(), new String(r.body()));
        JsonNode op = body(r).get(0);
        assertEquals("StepError", op.get("op").asText(), op.toString());
        assertTrue(op.toString().contains("middleware " + hook + " failed"), op.toString());
    }

    @org.junit.jupiter.api.Timeout(value = 20, threadMode = org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD)
    @Test
    void aThrowingTransformOutputOfTheFunctionIsTheFunctionsErrorAndTheCallIsAnswered() {
        var fn = Function.builder("f").trigger(Trigger.event("x")).handler((input, step) -> "done");
        var app = builder().middleware(throwingIn("transformOutput", false)).functions(fn).build();
        CallResult r = app.call("app-f", "step", request().build(), null);
        assertEquals(500, r.status(), new String(r.body()));
        assertTrue(new String(r.body()).contains("middleware transformOutput failed"), new String(r.body()));
    }

    private static Middleware throwingIn(String hook, boolean steps) {
        return new Middleware() {
            @Override
            public RunHooks onRun(RunContext run) {
                return new RunHooks() {
                    void maybe(String name, boolean isStep) {
                        if (name.equals(hook) && isStep == steps) {
                            throw new IllegalStateException("middleware " + name + " failed");
                        }
                    }

                    public void beforeExecution(StepInfo s) { maybe("beforeExecution", s != null); }

                    public void afterExecution(StepInfo s) { maybe("afterExecution", s != null); }

                    public void transformOutput(OutputContext output) { maybe("transformOutput", output.step() != null); }
                };
            }
        };
    }

    @ParameterizedTest
    @EnumSource(Drive.Mode.class)
    void middlewareMayTurnAnErrorIntoAResultAfterSteps(Drive.Mode mode) {
        var fn = Function.builder("f").trigger(Trigger.event("x")).handler((input, step) -> {
            step.run("a", Integer.class, () -> 1);
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
        Drive.Outcome o = Drive.run(app, "app-f", mode, request());
        assertEquals(200, o.status());
        assertEquals("recovered from boom", o.result().asText());
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

    /** The calls of the single middleware "m", without its prefix. */
    List<String> mine() {
        return calls.stream().filter(c -> c.startsWith("m:") || c.startsWith("code:")).map(c -> c.startsWith("m:") ? c.substring(2) : c).toList();
    }

    @Test
    void aFunctionWithoutStepsIsToldBeforeAndAfterItsCodeRuns() {
        var fn = Function.builder("f").trigger(Trigger.event("x")).handler((input, step) -> {
            calls.add("code:body");
            return "done";
        });
        var app = builder().middleware(recording("m")).functions(fn).build();
        assertEquals("done", body(app.call("app-f", "step", request().build(), null)).asText());
        assertEquals(List.of("onRun:app-f:01RUN", "transformInput", "beforeMemoization", "afterMemoization",
                "beforeExecution:fn", "code:body", "afterExecution:fn", "transformOutput:fn", "beforeResponse"), mine());
    }

    @Test
    void functionCodeIsAnnouncedOnlyAfterTheLastMemoizedStep() {
        var fn = Function.builder("f").trigger(Trigger.event("x")).handler((input, step) -> {
            calls.add("code:start");
            int a = step.run("a", Integer.class, () -> 1);
            calls.add("code:after-a");
            int b = step.run("b", Integer.class, () -> 2);
            calls.add("code:after-b");
            return a + b + step.run("c", Integer.class, () -> 3);
        });
        var app = builder().middleware(recording("m")).functions(fn).build();
        app.call("app-f", "step", request().memo("a", 1).memo("b", 2).build(), null);
        assertEquals(List.of("onRun:app-f:01RUN", "transformInput", "beforeMemoization",
                "code:start", "code:after-a",
                "afterMemoization", "beforeExecution:fn", "code:after-b", "afterExecution:fn",
                "beforeExecution:c", "afterExecution:c", "transformOutput:c", "beforeResponse"), mine());

        calls.clear();
        app.call("app-f", "step", request().memo("a", 1).memo("b", 2).memo("c", 3).build(), null);
        assertEquals(List.of("onRun:app-f:01RUN", "transformInput", "beforeMemoization",
                "code:start", "code:after-a", "code:after-b",
                "afterMemoization", "beforeExecution:fn", "afterExecution:fn", "transformOutput:fn", "beforeResponse"), mine());
    }

    @Test
    void aNewStepFoundBeforeMemoizedStateIsUsedUpStartsTheNewCodeOnce() {
        // Branch 0 finds a new step while branch 1's step is still memoized: memoization ends once.
        var fn = Function.builder("f").trigger(Trigger.event("x")).handler((input, step) -> step.parallel(List.of(
                () -> step.run("new", Integer.class, () -> 1),
                () -> step.run("old", Integer.class, () -> 2))));
        var app = builder().middleware(recording("m")).functions(fn).build();
        app.call("app-f", "step", request().memo("old", 2).build(), null);
        assertEquals(1, mine().stream().filter("afterMemoization"::equals).count());
        assertEquals(List.of("beforeExecution:fn", "afterExecution:fn", "beforeExecution:new", "afterExecution:new"),
                mine().stream().filter(c -> c.contains("Execution")).toList());
    }

    @Test
    void loggingMiddlewareCoversHandlerCodeAfterMemoizationInTheMdc() {
        var logger = (ch.qos.logback.classic.Logger) LoggerFactory.getLogger("test.handler");
        var appender = new ListAppender<ILoggingEvent>();
        appender.start();
        logger.addAppender(appender);
        logger.setLevel(Level.INFO);
        try {
            var fn = Function.builder("f").trigger(Trigger.event("x")).handler((input, step) -> {
                logger.info("replaying");
                int a = step.run("a", Integer.class, () -> 1);
                logger.info("after the last memoized step, a={}", a);
                return MDC.get("run_id") + "/" + MDC.get("fn_id") + "/" + MDC.get("step_id");
            });
            var app = builder().middleware(new LoggingMiddleware()).functions(fn).build();
            assertEquals("01RUN/app-f/null", body(app.call("app-f", "step", request().memo("a", 1).build(), null)).asText());
            List<ILoggingEvent> lines = appender.list;
            assertEquals(2, lines.size());
            assertNull(lines.get(0).getMDCPropertyMap().get("run_id"), "memoized replay is not new code");
            assertEquals("01RUN", lines.get(1).getMDCPropertyMap().get("run_id"));
            assertEquals("app-f", lines.get(1).getMDCPropertyMap().get("fn_id"));
        } finally {
            logger.detachAppender(appender);
        }
    }

    @Test
    void theMdcFollowsTheRunIntoParallelBranchesAndBackToTheParent() {
        // Memoization ends inside branch 0; branch 1 and the parent run after it on other threads.
        var fn = Function.builder("f").trigger(Trigger.event("x")).handler((input, step) -> {
            List<String> seen = step.parallel(List.of(
                    () -> step.run("a", Integer.class, () -> 1) + ":" + MDC.get("run_id"),
                    () -> "b:" + MDC.get("run_id") + "/" + Thread.currentThread().isVirtual()));
            return seen + " parent:" + MDC.get("run_id");
        });
        var app = builder().middleware(new LoggingMiddleware()).functions(fn).build();
        assertEquals("[1:01RUN, b:01RUN/true] parent:01RUN",
                body(app.call("app-f", "step", request().memo("a", 1).build(), null)).asText());
        assertNull(MDC.get("run_id"));
    }

    @Test
    void theMdcIsNotLeftOnTheCallersVirtualThread() throws Exception {
        var fn = Function.builder("f").trigger(Trigger.event("x")).handler((input, step) -> {
            String replaying = MDC.get("request_id") + "/" + MDC.get("run_id");
            step.run("m", Integer.class, () -> 0);
            String inFunction = replaying + " " + MDC.get("request_id") + "/" + MDC.get("run_id");
            List<String> branches = step.parallel(List.of(() -> MDC.get("run_id"), () -> MDC.get("request_id")));
            return step.run("s", String.class, () -> inFunction + " " + branches + " " + MDC.get("step_id"));
        });
        // A fan-out: the last branch decides on its own thread while the root unwinds on the caller's.
        var fanOut = Function.builder("g").trigger(Trigger.event("x")).handler((input, step) -> {
            step.run("m", Integer.class, () -> 0);
            return step.parallel(List.of(() -> step.run("p1", Integer.class, () -> 1), () -> step.run("p2", Integer.class, () -> 2)));
        });
        var app = builder().middleware(new LoggingMiddleware()).functions(fn, fanOut).build();
        var answer = new AtomicReference<String>();
        var after = new AtomicReference<Map<String, String>>();
        Thread t = Thread.ofVirtual().start(() -> {
            MDC.put("request_id", "req-1");
            // The root branch runs inline on this virtual thread; the step runs and decides on it too.
            answer.set(body(app.call("app-f", "step", request().memo("m", 0).build(), null)).get(0).get("data").asText());
            after.set(MDC.getCopyOfContextMap());
            answer.set(answer.get() + " | " + body(app.call("app-f", "step", request().memo("m", 0).memo("s", "x").build(), null)).asText());
            String second = String.valueOf(MDC.getCopyOfContextMap());
            answer.set(answer.get() + " | " + app.call("app-g", "step", request().memo("m", 0).build(), null).status());
            after.set(Map.of("first", String.valueOf(after.get()), "second", second, "fanOut", String.valueOf(MDC.getCopyOfContextMap())));
        });
        t.join();
        assertEquals("req-1/null req-1/01RUN [01RUN, req-1] s | x | 206", answer.get());
        assertEquals(Map.of("first", "{request_id=req-1}", "second", "{request_id=req-1}", "fanOut", "{request_id=req-1}"), after.get());
    }
}
