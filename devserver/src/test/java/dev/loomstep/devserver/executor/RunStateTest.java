package dev.loomstep.devserver.executor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Event;
import dev.loomstep.protocol.CallRequest;
import dev.loomstep.protocol.Json;
import dev.loomstep.protocol.Op;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RunStateTest {
    static final Event EVENT = new Event("01EVT", "app/big", Json.nodes().objectNode().put("n", 1), null, 1L, null);

    static CallRequest request(int steps, int bytesEach) {
        var memos = new LinkedHashMap<String, JsonNode>();
        for (int i = 0; i < steps; i++) {
            memos.put("step" + i, Json.nodes().objectNode().put("data", "x".repeat(bytesEach)));
        }
        var ctx = new CallRequest.CallContext("01RUN", 0, "fn", false, false, 4,
                new CallRequest.Stack(List.copyOf(memos.keySet()), memos.size()), null, "7");
        return new CallRequest(EVENT, List.of(EVENT), memos, ctx, 2, false);
    }

    static Op.StepRun stepRun(String id, int chars) {
        return new Op.StepRun(id, "big", "big", null, Json.nodes().textNode("y".repeat(chars)));
    }

    /** A snapshot of the state {@code request} carries, as {@link PlannedState} serialises it. */
    static PlannedState.Snapshot snapshot(CallRequest r) {
        java.util.function.Function<Object, com.fasterxml.jackson.core.io.SerializedString> raw =
                o -> new com.fasterxml.jackson.core.io.SerializedString(new String(Json.toBytes(o), java.nio.charset.StandardCharsets.UTF_8));
        return new PlannedState.Snapshot(0, r.event() == null ? null : raw.apply(r.event()), raw.apply(r.events()),
                raw.apply(r.steps()), raw.apply(r.ctx().stack().stack()), r.ctx().stack().current(), r.steps().isEmpty());
    }

    @Test
    void aTargetedCallAssembledFromASerialisedSnapshotIsByteForByteTheRequestEncodedWhole() {
        for (CallRequest r : List.of(request(0, 0), request(3, 10), request(50, 200))) {
            byte[] whole = RunState.encode(r).bytes();
            assertEquals(new String(whole, java.nio.charset.StandardCharsets.UTF_8),
                    new String(RunState.assemble(snapshot(r), r.ctx(), r.version()), java.nio.charset.StandardCharsets.UTF_8));
        }
        // No event (never sent by the executor, but the record allows it), no max_attempts, an env: still the same bytes.
        var ctx = new CallRequest.CallContext("01RUN", 2, null, true, false, null, new CallRequest.Stack(List.of(), 0), "dev", null);
        var bare = new CallRequest(null, List.of(), Map.of(), ctx, -1, false);
        assertEquals(new String(Json.toBytes(bare), java.nio.charset.StandardCharsets.UTF_8),
                new String(RunState.assemble(snapshot(bare), ctx, -1), java.nio.charset.StandardCharsets.UTF_8));
    }

    @Test
    void aRequestUpTo4MiBCarriesItsStateInline() throws Exception {
        RunState.Body body = RunState.encode(request(3, 1000));
        assertFalse(body.useApi());
        JsonNode sent = Json.mapper().readTree(body.bytes());
        assertEquals(3, sent.get("steps").size());
        assertFalse(sent.get("ctx").get("use_api").asBoolean());
    }

    @Test
    void aRequestOver4MiBIsSentWithUseApiAndWithoutItsStepsButCountsThem() throws Exception {
        RunState.Body body = RunState.encode(request(2, 3 * 1024 * 1024));
        assertTrue(body.useApi());
        assertTrue(body.bytes().length < 4096, "steps left out: " + body.bytes().length + " bytes");
        assertTrue(body.stateBytes() > 6 * 1024 * 1024, "the state is still counted: " + body.stateBytes());
        JsonNode sent = Json.mapper().readTree(body.bytes());
        assertTrue(sent.get("use_api").asBoolean());
        assertTrue(sent.get("ctx").get("use_api").asBoolean());
        assertEquals(0, sent.get("steps").size());
        assertEquals(1, sent.get("events").size(), "small events stay");
        assertEquals("01RUN", sent.get("ctx").get("run_id").asText(), "the SDK fetches the state by run id");
    }

    @Test
    void aStepOutputOver4MiBFailsThatStepWithOneClearLineAndOthersStay() {
        int limit = RunState.MAX_STEP_OUTPUT_BYTES;
        var answer = new SdkAnswer.Ops(List.of(stepRun("ok", limit - 2), stepRun("huge", limit - 1)), false, null);

        var enforced = assertInstanceOf(SdkAnswer.Ops.class, RunState.enforce(answer, 0, Long.MAX_VALUE));

        assertSame(answer.ops().get(0), enforced.ops().get(0), "exactly 4 MiB of output is allowed");
        var failed = assertInstanceOf(Op.StepFailed.class, enforced.ops().get(1));
        assertEquals("StepOutputTooLarge", failed.error().name());
        assertEquals("the output of step \"big\" is " + (limit + 1) + " bytes, over Inngest's limit of " + limit
                + " bytes (4 MiB) per step; store large data outside the run and return a reference to it", failed.error().message());
    }

    @Test
    void aFunctionEndReportedWithAnOversizedStepIsDroppedSoTheRunGoesOnFromTheFailedStep() {
        var answer = new SdkAnswer.Ops(List.of(stepRun("huge", RunState.MAX_STEP_OUTPUT_BYTES), new Op.RunComplete("done", null)),
                false, null);

        var enforced = assertInstanceOf(SdkAnswer.Ops.class, RunState.enforce(answer, 0, Long.MAX_VALUE));

        assertEquals(1, enforced.ops().size(), enforced.ops().toString());
        assertInstanceOf(Op.StepFailed.class, enforced.ops().get(0));
    }

    @Test
    void anAnswerTakingTheStateOver32MiBFailsTheRun() {
        long almostFull = RunState.MAX_STATE_BYTES - 1024;
        var fits = new SdkAnswer.Ops(List.of(stepRun("a", 1000)), false, null);
        assertSame(fits, RunState.enforce(fits, almostFull, Long.MAX_VALUE));

        var overflows = new SdkAnswer.Ops(List.of(stepRun("a", 2000)), false, null);
        var failed = assertInstanceOf(SdkAnswer.Failed.class, RunState.enforce(overflows, almostFull, Long.MAX_VALUE));
        assertEquals("InngestErrStateOverflowed", failed.error().name());
        assertTrue(failed.error().message().startsWith("The function run exceeded the state size limit of 33554432 bytes"),
                failed.error().message());
    }

    @Test
    void anAnswerWhoseBodyCannotBreakALimitIsPassedWithoutMeasuringIt() {
        var answer = new SdkAnswer.Ops(List.of(stepRun("a", 10)), false, null);
        assertSame(answer, RunState.enforce(answer, 1024, 200));
    }

    @Test
    void answersWithoutStepOutputsPassUnchanged() {
        var done = new SdkAnswer.Done(Json.nodes().textNode("z".repeat(5 * 1024 * 1024)));
        assertSame(done, RunState.enforce(done, RunState.MAX_STATE_BYTES, Long.MAX_VALUE));
        assertEquals(Map.of(), request(0, 0).steps());
    }
}
