package dev.loomstep.internal.run;

import static dev.loomstep.Calls.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loomstep.Calls;
import dev.loomstep.Config;
import dev.loomstep.Function;
import dev.loomstep.FunctionHandler;
import dev.loomstep.Loomstep;
import dev.loomstep.NonRetriableException;
import dev.loomstep.Trigger;
import dev.loomstep.protocol.CallResult;
import dev.loomstep.testkit.LogCapture;
import dev.loomstep.testkit.LogCapture.Line;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

/** The app's own log: a WARN per attempt that threw, an INFO when a run ends, silence otherwise. */
class RunLogTest {
    final LogCapture log = LogCapture.attach("dev.loomstep.run");
    static final IllegalStateException BOOM = new IllegalStateException("card declined");

    @AfterEach
    void detach() {
        log.close();
    }

    CallResult call(FunctionHandler<com.fasterxml.jackson.databind.JsonNode, Object> handler, Calls request) {
        var fn = Function.builder("f").trigger(Trigger.event("test/event")).handler(handler);
        Loomstep app = Loomstep.builder("app").config(Config.from(Map.of("INNGEST_DEV", "1"))).functions(fn).build();
        return app.call("app-f", "step", request.build(), null);
    }

    static Object chargeThatThrows(dev.loomstep.Step step) {
        return step.run("charge", String.class, () -> {
            throw BOOM;
        });
    }

    @Test
    void aThrowingStepLogsOneWarningWithTheStackAndTheIdsInTheMdc() {
        CallResult r = call((in, step) -> chargeThatThrows(step), request().attempt(1).maxAttempts(4));
        assertEquals(206, r.status());

        List<Line> lines = log.lines();
        assertEquals(1, lines.size(), lines.toString());
        Line warn = lines.get(0);
        assertEquals("WARN", warn.level());
        assertEquals("step \"charge\" of run 01RUN (app-f) threw on attempt 2 of 4; it will be retried", warn.message());
        assertSame(BOOM, warn.thrown());
        assertEquals(Map.of("run_id", "01RUN", "fn_id", "app-f", "step_id", "charge", "attempt", "2"), warn.mdc());
        assertNull(MDC.get("run_id"), "the MDC is left as it was");
    }

    @Test
    void aStepThrowingOnItsLastAttemptSaysItFailsForGood() {
        call((in, step) -> chargeThatThrows(step), request().attempt(3).maxAttempts(4));
        assertEquals(List.of("step \"charge\" of run 01RUN (app-f) threw on attempt 4 of 4; it fails for good"),
                log.lines().stream().map(Line::message).toList());
    }

    @Test
    void successfulStepsAndReplaysLogNothing() {
        call((in, step) -> step.run("a", Integer.class, () -> 1), request());
        call((in, step) -> {
            step.run("a", Integer.class, () -> 1);
            return step.run("b", Integer.class, () -> 2);
        }, request().memo("a", 1));
        assertEquals(List.of(), log.lines());
    }

    @Test
    void aCompletedRunLogsOneInfoLine() {
        call((in, step) -> step.run("a", Integer.class, () -> 1), request().memo("a", 1).maxAttempts(4));
        List<Line> lines = log.lines();
        assertEquals(1, lines.size(), lines.toString());
        assertEquals("INFO", lines.get(0).level());
        assertEquals("run 01RUN of app-f completed on attempt 1 of 4", lines.get(0).message());
        assertEquals("01RUN", lines.get(0).mdc().get("run_id"));
    }

    @Test
    void aThrowingHandlerThatWillBeRetriedLogsOnlyAWarningWithTheStack() {
        call((in, step) -> {
            throw BOOM;
        }, request().maxAttempts(4));
        List<Line> lines = log.lines();
        assertEquals(1, lines.size(), lines.toString());
        assertEquals("WARN", lines.get(0).level());
        assertEquals("function app-f of run 01RUN threw on attempt 1 of 4; it will be retried", lines.get(0).message());
        assertSame(BOOM, lines.get(0).thrown());
        assertNull(lines.get(0).mdc().get("step_id"));
    }

    @Test
    void aRunThatFailsForGoodLogsTheWarningAndOneInfoLine() {
        call((in, step) -> {
            throw new NonRetriableException("bad input");
        }, request().maxAttempts(4));
        assertEquals(List.of("WARN function app-f of run 01RUN threw on attempt 1 of 4; it fails for good",
                        "INFO run 01RUN of app-f failed for good on attempt 1 of 4: NonRetriableException: bad input"),
                log.lines().stream().map(l -> l.level() + " " + l.message()).toList());
    }

    @Test
    void aFailedStepPassedOnByTheHandlerIsNotWarnedAboutTwice() {
        call((in, step) -> chargeThatThrows(step), request().memoError("charge", "IllegalStateException", "card declined"));
        List<Line> lines = log.lines();
        assertEquals(1, lines.size(), lines.toString());
        assertEquals("INFO", lines.get(0).level());
        assertEquals("run 01RUN of app-f failed for good on attempt 1: step \"charge\" failed: IllegalStateException: card declined",
                lines.get(0).message());
    }

    @Test
    void anUnfitResultIsWarnedAboutWithItsFix() {
        call((in, step) -> step.run("lock", Object.class, Object::new), request());
        Line warn = log.at("WARN").get(0);
        assertTrue(warn.message().endsWith("it fails for good"), warn.message());
        assertTrue(warn.thrown().getMessage().contains("java.lang.Object"), warn.thrown().getMessage());
    }
}
