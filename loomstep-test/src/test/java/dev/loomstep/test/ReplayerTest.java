package dev.loomstep.test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Event;
import dev.loomstep.Function;
import dev.loomstep.FunctionHandler;
import dev.loomstep.Step;
import dev.loomstep.Trigger;
import dev.loomstep.protocol.RunHistory;
import dev.loomstep.protocol.StepIds;
import dev.loomstep.test.ReplayMismatchError.Kind;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The replay check on histories built in the test: each kind of mismatch, and the changes that still fit. */
class ReplayerTest {
    record Receipt(String receipt, int cents) {}

    /** Receipt with a field added: recorded receipts still read into it. */
    record ReceiptWithCurrency(String receipt, int cents, String currency) {}

    static final Event PLACED = Event.of("shop/order.placed", Map.of("order", "o_1"));
    /** Step bodies must never run in a replay: each one counts here. */
    static final AtomicInteger BODIES = new AtomicInteger();

    static Function<JsonNode, Object> fn(FunctionHandler<JsonNode, Object> handler) {
        return Function.builder("process-order").trigger(Trigger.event("shop/order.placed")).handler(handler);
    }

    static <T> Callable<T> body(T value) {
        return () -> {
            BODIES.incrementAndGet();
            return value;
        };
    }

    /** What ran in production: reserve, charge, a fan-out of two packs, ship. */
    static Object v1(Step step) {
        step.run("reserve", String.class, body("held"));
        Receipt r = step.run("charge", Receipt.class, body(new Receipt("r_1", 1200)));
        step.parallel(List.<Callable<Boolean>>of(() -> step.run("pack-1", Boolean.class, body(true)),
                () -> step.run("pack-2", Boolean.class, body(true))));
        step.run("ship", String.class, body("shipped"));
        return r.receipt();
    }

    static RunHistory completedV1() {
        return RunHistory.builder("shop-process-order", PLACED)
                .step("reserve", "held")
                .step("charge", new Receipt("r_1", 1200))
                .parallel(List.of("pack-2", "pack-1"), List.of(true, true)) // the executor saw pack-2 end first
                .step("ship", "shipped")
                .completed("r_1")
                .build();
    }

    static ReplayMismatchError mismatch(FunctionHandler<JsonNode, Object> handler, RunHistory h) {
        return assertThrows(ReplayMismatchError.class, () -> Replayer.of(fn(handler)).replay(h));
    }

    @Test
    void theUnchangedCodeFitsItsHistoryAndNoStepBodyRuns() {
        int before = BODIES.get();
        Replayer.of(fn((in, step) -> v1(step))).replay(completedV1());
        assertEquals(before, BODIES.get(), "a replay ran a step body");
    }

    @Test
    void stepsAddedAfterTheRecordedOnesChangedBodiesAndAFieldAddedToAnOutputTypeFit() {
        RunHistory inFlight = RunHistory.builder("shop-process-order", PLACED).step("reserve", "held")
                .step("charge", new Receipt("r_1", 1200)).build();
        Replayer.of(fn((in, step) -> {
            step.run("reserve", String.class, body("held for 10 minutes")); // another body, the same type
            step.run("charge", ReceiptWithCurrency.class, body(new ReceiptWithCurrency("r_2", 1300, "EUR"))); // a field added
            step.run("fraud-check", Boolean.class, body(true)); // new, after the recorded steps
            return v1(step);
        })).replay(inFlight);
    }

    @Test
    void aRenamedStepIsARecordedStepNeverReachedNamingTheNewOne() {
        var m = mismatch((in, step) -> {
            step.run("reserve", String.class, body("held"));
            step.run("charge-card", Receipt.class, body(new Receipt("r_1", 1200)));
            return "r_1";
        }, completedV1());
        assertEquals(Kind.STEP_NOT_REACHED, m.kind(), m.getMessage());
        assertTrue(m.getMessage().startsWith("run " + completedV1().runId() + " of shop-process-order no longer fits the code: recorded"
                + " steps \"charge\" (id " + StepIds.hash("charge", 0) + "), \"pack-2\""), m.getMessage());
        assertTrue(m.getMessage().contains("the code now waits at new step \"charge-card\" (id " + StepIds.hash("charge-card", 0)
                + ") before them"), m.getMessage());
        assertEquals(List.of("charge", "pack-2", "pack-1", "ship"), m.steps());
    }

    @Test
    void aStepInsertedBeforeRecordedOnesIsFlaggedBecauseInFlightRunsWouldRunItAfterThem() {
        var m = mismatch((in, step) -> {
            step.run("reserve", String.class, body("held"));
            step.run("fraud-check", Boolean.class, body(true)); // inserted between reserve and charge
            return step.run("charge", Receipt.class, body(new Receipt("r_1", 1200))).receipt();
        }, RunHistory.builder("shop-process-order", PLACED).step("reserve", "held").step("charge", new Receipt("r_1", 1200)).build());
        assertEquals(Kind.STEP_NOT_REACHED, m.kind(), m.getMessage());
        assertTrue(m.getMessage().contains("recorded step \"charge\" (id " + StepIds.hash("charge", 0) + ") is not reached; the code now"
                + " waits at new step \"fraud-check\" (id " + StepIds.hash("fraud-check", 0) + ") before it. A renamed or removed step"
                + " never reuses its result, and a step inserted before recorded ones runs after them in time"), m.getMessage());
    }

    @Test
    void codeThatNowEndsBeforeARecordedStepSaysItCompletesWithoutIt() {
        RunHistory h = RunHistory.builder("shop-process-order", PLACED).step("reserve", "held").step("audit", "ok").build();
        var m = mismatch((in, step) -> step.run("reserve", String.class, body("held")), h);
        assertEquals(Kind.STEP_NOT_REACHED, m.kind());
        assertTrue(m.getMessage().contains("recorded step \"audit\" (id " + StepIds.hash("audit", 0) + ") is not reached; the code now"
                + " completes without it"), m.getMessage());
    }

    @Test
    void swappedStepsAreAnOrderChange() {
        var m = mismatch((in, step) -> {
            Receipt r = step.run("charge", Receipt.class, body(new Receipt("r_1", 1200)));
            step.run("reserve", String.class, body("held"));
            return r.receipt();
        }, RunHistory.builder("shop-process-order", PLACED).step("reserve", "held").step("charge", new Receipt("r_1", 1200)).build());
        assertEquals(Kind.ORDER_CHANGED, m.kind(), m.getMessage());
        assertTrue(m.getMessage().contains("step \"charge\" (id " + StepIds.hash("charge", 0) + ") is now reached before step \"reserve\""),
                m.getMessage());
    }

    @Test
    void anOutputThatNoLongerDeserializesNamesTheStepTheOutputAndTheType() {
        var m = mismatch((in, step) -> {
            step.run("reserve", String.class, body("held"));
            return step.run("charge", Integer.class, body(1200)); // was a Receipt
        }, RunHistory.builder("shop-process-order", PLACED).step("reserve", "held").step("charge", new Receipt("r_1", 1200)).build());
        assertEquals(Kind.OUTPUT_TYPE_CHANGED, m.kind(), m.getMessage());
        assertTrue(m.getMessage().contains("the recorded output of step \"charge\" (id " + StepIds.hash("charge", 0)
                + ") {\"receipt\":\"r_1\",\"cents\":1200} no longer reads as java.lang.Integer"), m.getMessage());
    }

    @Test
    void aBranchAddedToARecordedFanOutIsAFanOutChange() {
        var m = mismatch((in, step) -> {
            step.run("reserve", String.class, body("held"));
            step.run("charge", Receipt.class, body(new Receipt("r_1", 1200)));
            step.parallel(List.<Callable<Boolean>>of(() -> step.run("pack-1", Boolean.class, body(true)),
                    () -> step.run("pack-2", Boolean.class, body(true)), () -> step.run("pack-3", Boolean.class, body(true))));
            return step.run("ship", String.class, body("shipped"));
        }, completedV1());
        assertEquals(Kind.FAN_OUT_CHANGED, m.kind(), m.getMessage());
        assertTrue(m.getMessage().contains("its fan-out now has a branch that reaches new step \"pack-3\""), m.getMessage());
        assertEquals(List.of("pack-3"), m.steps());
    }

    @Test
    void aBranchRemovedFromARecordedFanOutOrItsBranchesRunInSequenceIsAFanOutChange() {
        var removed = mismatch((in, step) -> {
            step.run("reserve", String.class, body("held"));
            step.run("charge", Receipt.class, body(new Receipt("r_1", 1200)));
            step.parallel(List.<Callable<Boolean>>of(() -> step.run("pack-1", Boolean.class, body(true))));
            return step.run("ship", String.class, body("shipped"));
        }, completedV1());
        assertEquals(Kind.FAN_OUT_CHANGED, removed.kind(), removed.getMessage());
        assertTrue(removed.getMessage().contains("changed: \"pack-2\" (id " + StepIds.hash("pack-2", 0) + ") is not reached"),
                removed.getMessage());

        var sequential = mismatch((in, step) -> {
            step.run("reserve", String.class, body("held"));
            step.run("charge", Receipt.class, body(new Receipt("r_1", 1200)));
            step.run("pack-1", Boolean.class, body(true));
            step.run("pack-2", Boolean.class, body(true));
            return step.run("ship", String.class, body("shipped"));
        }, completedV1());
        assertEquals(Kind.FAN_OUT_CHANGED, sequential.kind(), sequential.getMessage());
        assertTrue(sequential.getMessage().contains("ran side by side in one fan-out and are now reached one after the other"),
                sequential.getMessage());
    }

    @Test
    void aFanOutInFlightWithABranchStillPlannedFits() {
        RunHistory h = RunHistory.builder("shop-process-order", PLACED).step("reserve", "held").step("charge", new Receipt("r_1", 1200))
                .step("pack-1", true).pending("pack-2", "StepRun").build();
        Replayer.of(fn((in, step) -> v1(step))).replay(h);
    }

    @Test
    void codeThatNowThrowsOnTheRecordedStateFails() {
        var m = mismatch((in, step) -> {
            String held = step.run("reserve", String.class, body("held"));
            if (held.equals("held")) {
                throw new IllegalStateException("unknown reservation state " + held);
            }
            return held;
        }, RunHistory.builder("shop-process-order", PLACED).step("reserve", "held").completed("r_1").build());
        assertEquals(Kind.CODE_FAILS, m.kind(), m.getMessage());
        assertTrue(m.getMessage().contains("it now fails on the recorded state (IllegalStateException: unknown reservation state held);"
                + " the run completed."), m.getMessage());
    }

    @Test
    void manyHistoriesFailOnceWithOneLinePerRunThatNoLongerFits(@TempDir Path dir) throws Exception {
        RunHistory fits = RunHistory.builder("shop-process-order", PLACED).step("reserve", "held").build();
        RunHistory renamed = RunHistory.builder("shop-process-order", Event.of("shop/order.placed", Map.of("order", "o_2")))
                .step("reserve", "held").step("charge-v0", new Receipt("r_0", 1)).build();
        RunHistory swapped = RunHistory.builder("shop-process-order", Event.of("shop/order.placed", Map.of("order", "o_3")))
                .step("charge", new Receipt("r_3", 3)).step("reserve", "held").build();
        Files.write(dir.resolve("1-fits.json"), fits.toJson());
        Files.write(dir.resolve("2-renamed.json"), renamed.toJson());
        Files.write(dir.resolve("3-swapped.json"), swapped.toJson());
        Files.writeString(dir.resolve("notes.txt"), "not a history");

        var replayer = Replayer.of(fn((in, step) -> v1(step)));
        AssertionError e = assertThrows(AssertionError.class, () -> replayer.replayAll(dir));
        List<String> lines = e.getMessage().lines().toList();
        assertEquals("2 of 3 run histories no longer fit the code:", lines.get(0), e.getMessage());
        assertEquals(3, lines.size(), e.getMessage());
        assertTrue(lines.get(1).startsWith("- run " + renamed.runId()) && lines.get(1).contains("\"charge-v0\""), e.getMessage());
        assertTrue(lines.get(2).startsWith("- run " + swapped.runId()) && lines.get(2).contains("is now reached before"), e.getMessage());
        assertEquals(2, e.getSuppressed().length);
        replayer.replay(dir.resolve("1-fits.json"));
    }

    @Test
    void aHistoryFromTheClasspathIsReplayed() {
        // written by the devserver for a run of v1 with the devserver's hashes and memo shapes (see ReplayerDevServerTest)
        Replayer.of(fn((in, step) -> v1(step))).replayResource("histories/process-order-completed.json");
        var m = assertThrows(ReplayMismatchError.class, () -> Replayer.of(fn((in, step) -> step.run("reserve", String.class, body("x"))))
                .replayResource("histories/process-order-completed.json"));
        assertEquals(Kind.STEP_NOT_REACHED, m.kind());
    }

    @Test
    void badInputIsOneClearLine(@TempDir Path dir) throws Exception {
        var replayer = Replayer.of(fn((in, step) -> v1(step)));
        Path notJson = Files.writeString(dir.resolve("a.json"), "{oops");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> replayer.replay(notJson)).getMessage()
                .startsWith(notJson + " is not JSON: "));
        Path other = Files.writeString(dir.resolve("b.json"), "{\"steps\": {}}");
        assertEquals(other + " is not a run history: its \"format\" must be \"loomstep.run-history\"",
                assertThrows(IllegalArgumentException.class, () -> replayer.replay(other)).getMessage());
        Path newer = Files.writeString(dir.resolve("c.json"), "{\"format\": \"loomstep.run-history\", \"version\": 2}");
        assertEquals(newer + " is a run history of version 2; this Loomstep reads versions 1 to 1 (upgrade Loomstep to read it)",
                assertThrows(IllegalArgumentException.class, () -> replayer.replay(newer)).getMessage());
        RunHistory elsewhere = RunHistory.builder("shop-refund").step("reserve", "held").build();
        assertEquals("the history of run " + elsewhere.runId() + " is of function \"shop-refund\", not of \"process-order\": replay it"
                        + " with that function (or Replayer.of(app))",
                assertThrows(IllegalArgumentException.class, () -> replayer.replay(elsewhere)).getMessage());
        assertEquals("no classpath resource \"histories/none.json\" to replay",
                assertThrows(IllegalArgumentException.class, () -> replayer.replayResource("histories/none.json")).getMessage());
        assertEquals(new String(completedV1().toJson(), StandardCharsets.UTF_8),
                new String(RunHistory.read(completedV1().toJson(), "x").toJson(), StandardCharsets.UTF_8), "a history reads back as written");
    }
}
