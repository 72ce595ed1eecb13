package dev.loomstep.internal.run;

import static dev.loomstep.Calls.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.StackTraceElementProxy;
import ch.qos.logback.core.AppenderBase;
import com.example.shop.ChargingHandler;
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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
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
        RunLog.resetBudget(); // other tests' runs in this JVM may have used this second's lines
        call((in, step) -> step.run("a", Integer.class, () -> 1), request().memo("a", 1).maxAttempts(4));
        List<Line> lines = log.lines();
        assertEquals(1, lines.size(), lines.toString());
        assertEquals("INFO", lines.get(0).level());
        assertEquals("run 01RUN of app-f completed; its last call was attempt 1 of 4 (attempts are counted per step, "
                + "so earlier steps' retries are not in this number)", lines.get(0).message());
        assertEquals("01RUN", lines.get(0).mdc().get("run_id"));
    }

    @Test
    void pastTenCompletionsASecondTheRestAreOneSummaryLine() throws Exception {
        RunLog.resetBudget();
        for (int i = 0; i < 25; i++) {
            call((in, step) -> step.run("a", Integer.class, () -> 1), request().memo("a", 1).maxAttempts(4));
        }
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
        while (log.lines().stream().noneMatch(l -> l.message().contains("more runs completed")) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        List<Line> lines = log.lines();
        long each = lines.stream().filter(l -> l.message().startsWith("run 01RUN of app-f completed")).count();
        assertTrue(each >= 1 && each <= 10, "at most ten lines one by one in a second: " + each);
        assertTrue(lines.stream().anyMatch(l -> l.message().equals((25 - each) + " more runs completed in the last second "
                + "(one line each resumes below 10 a second; failures are always logged)")), lines.toString());
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
        assertEquals("run 01RUN of app-f failed for good: step \"charge\" failed: IllegalStateException: card declined",
                lines.get(0).message());
    }

    @Test
    void aStepsWarningShowsTheUsersFramesOfTheErrorAndEachCauseNotTheRunMachineryOrWhatCalledLoomstep() {
        var stacks = new ArrayList<List<StackTraceElementProxy[]>>();
        var appender = new AppenderBase<ILoggingEvent>() {
            @Override
            protected void append(ILoggingEvent e) {
                var chain = new ArrayList<StackTraceElementProxy[]>();
                for (IThrowableProxy t = e.getThrowableProxy(); t != null; t = t.getCause()) {
                    chain.add(t.getStackTraceElementProxyArray());
                }
                stacks.add(chain);
            }
        };
        appender.start();
        var logger = (ch.qos.logback.classic.Logger) LoggerFactory.getLogger("dev.loomstep.run");
        logger.addAppender(appender);
        try {
            call(ChargingHandler.handler(), request().maxAttempts(4));
        } finally {
            logger.detachAppender(appender);
        }

        assertEquals(1, stacks.size(), log.lines().toString());
        List<StackTraceElementProxy[]> chain = stacks.get(0);
        assertEquals(3, chain.size(), "the error and its two causes");
        for (StackTraceElementProxy[] stack : chain) {
            var frames = Arrays.stream(stack).map(f -> f.getStackTraceElement().getClassName() + "." + f.getStackTraceElement().getMethodName()).toList();
            // It ends where the user's handler was called: nothing of RunExecution's caller, this test or JUnit.
            assertTrue(frames.get(frames.size() - 1).startsWith("com.example.shop.ChargingHandler.lambda$handler$"), frames.toString());
            // Neither how step.run reached the body nor what ran the handler (RunExecution, the broker's thread).
            assertTrue(frames.stream().noneMatch(f -> f.startsWith("dev.loomstep.") || f.startsWith("java.lang.VirtualThread")), frames.toString());
        }
        // The user's code, as they wrote it: the handler called checkout, whose step.run called charge.
        assertEquals(List.of("charge", "checkout", "lambda$handler$0"), methods(chain.get(0)));
        assertEquals(methods(chain.get(0)), methods(chain.get(1)), "the UncheckedIOException, made in charge");
        assertEquals(List.of("callGateway", "charge", "checkout", "lambda$handler$0"), methods(chain.get(2)));

        // Only the log line was trimmed: the exception the step failed with keeps its whole stack.
        Throwable thrown = log.lines().get(0).thrown();
        for (Throwable t = thrown; t != null; t = t.getCause()) {
            assertTrue(Arrays.stream(t.getStackTrace()).anyMatch(f -> f.getClassName().equals("dev.loomstep.internal.run.RunExecution")),
                    "the full stack is back on " + t + ": " + Arrays.toString(t.getStackTrace()));
        }
    }

    @Test
    void theUsersPartOfAStackEndsAtTheDeepestUserFrameAboveLoomstepsDeepest() {
        StackTraceElement[] served = frames("com.acme.Billing.lambda$charge$0", "dev.loomstep.internal.run.RunExecution.executeStep",
                "dev.loomstep.Step.run", "dev.loomstep.examples.Checkout.handle", "dev.loomstep.internal.run.RunExecution.run",
                "jdk.internal.reflect.DirectMethodHandleAccessor.invoke", "dev.loomstep.Loomstep.call", "dev.loomstep.undertow.LoomstepServer.handle",
                "io.undertow.server.Connectors.executeRootHandler", "java.lang.VirtualThread.run");
        assertEquals(List.of(served[0], served[3]), List.of(RunLog.usersPart(served)),
                "examples are user code; the machinery between and below the user's frames, Undertow and the thread go");

        StackTraceElement[] inABranch = frames("com.acme.Billing.resize", "dev.loomstep.internal.run.Branches.run",
                "java.util.concurrent.FutureTask.run", "java.lang.VirtualThread.run");
        assertEquals(List.of(inABranch[0]), List.of(RunLog.usersPart(inABranch)));

        StackTraceElement[] fromLoomstepAndAJdkCallback = frames("dev.loomstep.internal.Codec.write", "com.fasterxml.jackson.Mapper.write",
                "com.acme.Billing.lambda$total$1", "java.util.ArrayList.forEach", "com.acme.Billing.total",
                "dev.loomstep.internal.run.RunExecution.run", "com.acme.Billing.handle", "dev.loomstep.internal.run.RunExecution.runFunction");
        var f = fromLoomstepAndAJdkCallback;
        assertEquals(List.of(f[0], f[1], f[2], f[3], f[4], f[6]), List.of(RunLog.usersPart(f)),
                "where the error came from stays, and the JDK's frames between the user's; the machinery goes");

        StackTraceElement[] noLoomstep = frames("com.acme.Pool.work", "java.lang.Thread.run");
        assertSame(noLoomstep, RunLog.usersPart(noLoomstep), "not called by Loomstep: left as it is");
        StackTraceElement[] onlyLoomstep = frames("dev.loomstep.internal.Codec.write", "dev.loomstep.Loomstep.call", "org.junit.Runner.run");
        assertSame(onlyLoomstep, RunLog.usersPart(onlyLoomstep), "no user frame above Loomstep's: left as it is");
    }

    static List<String> methods(StackTraceElementProxy[] stack) {
        return Arrays.stream(stack).map(f -> f.getStackTraceElement().getMethodName()).toList();
    }

    static StackTraceElement[] frames(String... methods) {
        return Arrays.stream(methods).map(m -> new StackTraceElement(m.substring(0, m.lastIndexOf('.')), m.substring(m.lastIndexOf('.') + 1), null, -1))
                .toArray(StackTraceElement[]::new);
    }

    @Test
    void anUnfitResultIsWarnedAboutWithItsFix() {
        call((in, step) -> step.run("lock", Object.class, Object::new), request());
        Line warn = log.at("WARN").get(0);
        assertTrue(warn.message().endsWith("it fails for good"), warn.message());
        assertTrue(warn.thrown().getMessage().contains("java.lang.Object"), warn.thrown().getMessage());
    }
}
