package dev.loomstep.internal;

import static dev.loomstep.Calls.request;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.loomstep.Config;
import dev.loomstep.Function;
import dev.loomstep.Loomstep;
import dev.loomstep.NonRetriableException;
import dev.loomstep.Trigger;
import dev.loomstep.middleware.Middleware;
import dev.loomstep.middleware.StepInfo;
import dev.loomstep.protocol.StepIds;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** What the engine tells a {@link CallObserver} registered as client-level middleware, call by call. */
class CallObserverTest {
    final List<String> seen = new CopyOnWriteArrayList<>();

    /** A middleware that is also an observer, as loomstep-micrometer's is. */
    Middleware observer(String who) {
        class Recording implements Middleware, CallObserver {
            @Override
            public Call callStarted(String appId, String functionId, boolean firstCall) {
                seen.add(who + ":start:" + appId + "/" + functionId + (firstCall ? ":first" : ""));
                return new Call() {
                    @Override
                    public void stepEnded(StepInfo step, int attempt, Verdict verdict) {
                        seen.add(who + ":step:" + step.id() + ":" + attempt + ":" + verdict);
                    }

                    @Override
                    public void functionEnded(Verdict verdict) {
                        seen.add(who + ":function:" + verdict);
                    }

                    @Override
                    public void checkpointed(Duration latency, boolean acknowledged) {
                        seen.add(who + ":checkpoint");
                    }

                    @Override
                    public void callEnded() {
                        seen.add(who + ":end");
                    }
                };
            }
        }
        return new Recording();
    }

    final Function<?, ?> failingStep = Function.builder("step-fails").trigger(Trigger.event("x"))
            .handler((input, step) -> step.run("s", Integer.class, () -> {
                throw new IllegalStateException("no");
            }));
    final Function<?, ?> returns = Function.builder("returns").trigger(Trigger.event("x"))
            .handler((input, step) -> step.run("a", Integer.class, () -> 1));
    final Function<?, ?> refuses = Function.builder("refuses").trigger(Trigger.event("x"))
            .handler((input, step) -> {
                throw new NonRetriableException("never");
            });
    final Function<?, ?> throwsOnce = Function.builder("throws").trigger(Trigger.event("x"))
            .handler((input, step) -> {
                throw new IllegalStateException("once");
            });

    Loomstep app(Middleware... observers) {
        var b = Loomstep.builder("app").config(Config.from(Map.of("INNGEST_DEV", "1"))).functions(failingStep, returns, refuses, throwsOnce);
        for (Middleware m : observers) {
            b.middleware(m);
        }
        return b.build();
    }

    @Test
    void aStepErrorIsARetryUntilTheLastAttemptAndOnlyTheRunsFirstCallIsFirst() {
        var app = app(observer("o"));
        app.call("app-step-fails", "step", request().maxAttempts(3).build(), null);
        app.call("app-step-fails", "step", request().attempt(2).maxAttempts(3).build(), null);
        assertEquals(List.of(
                "o:start:app/step-fails:first", "o:step:s:0:RETRY", "o:end",
                "o:start:app/step-fails", "o:step:s:2:FAILED", "o:end"), seen);
    }

    @Test
    void theFunctionsVerdictFollowsTheAnswer() {
        var app = app(observer("o"));
        app.call("app-returns", "step", request().memo("a", 1).build(), null);
        app.call("app-refuses", "step", request().maxAttempts(3).build(), null);
        app.call("app-throws", "step", request().maxAttempts(3).build(), null);
        app.call("app-throws", "step", request().attempt(2).maxAttempts(3).build(), null);
        assertEquals(List.of(
                "o:start:app/returns", "o:function:SUCCEEDED", "o:end",
                "o:start:app/refuses:first", "o:function:FAILED", "o:end",
                "o:start:app/throws:first", "o:function:RETRY", "o:end",
                "o:start:app/throws", "o:function:FAILED", "o:end"), seen);
    }

    @Test
    void aCallTargetingAPlannedStepIsNotARunsFirstCall() {
        var app = app(observer("o"));
        app.call("app-returns", StepIds.hash("a", 0), request().build(), null);
        assertEquals(List.of("o:start:app/returns", "o:step:a:0:SUCCEEDED", "o:end"), seen);
    }

    @Test
    void severalObserversEachHearEveryCallInRegistrationOrder() {
        var app = app(observer("one"), observer("two"));
        app.call("app-refuses", "step", request().build(), null);
        assertEquals(List.of("one:start:app/refuses:first", "two:start:app/refuses:first",
                "one:function:FAILED", "two:function:FAILED", "one:end", "two:end"), seen);
    }
}
