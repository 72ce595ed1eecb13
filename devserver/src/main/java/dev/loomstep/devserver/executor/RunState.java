package dev.loomstep.devserver.executor;

import dev.loomstep.protocol.CallRequest;
import dev.loomstep.protocol.Json;
import dev.loomstep.protocol.Op;
import dev.loomstep.protocol.WireError;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Inngest's size limits on a run's state, applied as the Inngest executor applies them: a call request
 * over 4 MiB is sent trimmed with {@code use_api} (the SDK then fetches the events and step results from
 * {@code /v0/runs/{id}/batch} and {@code /actions}); a step output over 4 MiB fails that step; a run whose
 * state passes 32 MiB fails with {@code InngestErrStateOverflowed}.
 */
final class RunState {
    /** Inngest's {@code MaxSDKRequestBodySize}: the largest call request sent with its state inline. */
    static final int MAX_REQUEST_BYTES = 4 * 1024 * 1024;
    /** Inngest's {@code MaxStepOutputSize}: the largest output (the op's {@code data}) of one step. */
    static final int MAX_STEP_OUTPUT_BYTES = 4 * 1024 * 1024;
    /** Inngest's {@code DefaultMaxStateSizeLimit}: the most memoized state one run may hold. */
    static final long MAX_STATE_BYTES = 32L * 1024 * 1024;

    private RunState() {}

    /**
     * A call request as bytes, and the size of the state it carries. A request up to 4 MiB counts as a whole
     * (an upper bound that costs no second serialisation; it cannot reach 32 MiB with one answer's outputs
     * unless they alone are near it); a larger one counts its memoized steps exactly, before trimming.
     */
    record Body(byte[] bytes, long stateBytes, boolean useApi) {}

    static Body encode(CallRequest request) {
        byte[] full = Json.toBytes(request);
        if (full.length <= MAX_REQUEST_BYTES) {
            return new Body(full, request.steps().isEmpty() ? 0 : full.length, false);
        }
        long stateBytes = Json.toBytes(request.steps()).length;
        // As Inngest: first drop the steps, then (still too big) the events; `event` stays for old SDKs.
        var c = request.ctx();
        var ctx = new CallRequest.CallContext(c.runId(), c.attempt(), c.fnId(), c.disableImmediateExecution(), true,
                c.maxAttempts(), c.stack(), c.env(), c.qiId());
        byte[] trimmed = Json.toBytes(new CallRequest(request.event(), request.events(), Map.of(), ctx, request.version(), true, request.defers()));
        if (trimmed.length > MAX_REQUEST_BYTES) {
            trimmed = Json.toBytes(new CallRequest(request.event(), List.of(), Map.of(), ctx, request.version(), true, request.defers()));
        }
        return new Body(trimmed, stateBytes, true);
    }

    /**
     * A call request's JSON from a run's state already serialised ({@link PlannedState.Snapshot}) and one
     * call's context (its stack is the snapshot's): the bytes {@link #encode} would give for the same
     * request, field for field, without walking the memoized steps again.
     */
    static byte[] assemble(PlannedState.Snapshot state, CallRequest.CallContext ctx, int version) {
        var out = new java.io.ByteArrayOutputStream(256 + state.steps().charLength() + state.events().charLength()
                + state.stack().charLength());
        try (com.fasterxml.jackson.core.JsonGenerator g = Json.mapper().createGenerator(out)) {
            g.writeStartObject();
            if (state.event() != null) {
                g.writeFieldName("event");
                g.writeRawValue(state.event());
            }
            g.writeFieldName("events");
            g.writeRawValue(state.events());
            g.writeFieldName("steps");
            g.writeRawValue(state.steps());
            g.writeObjectFieldStart("ctx");
            if (ctx.runId() != null) {
                g.writeStringField("run_id", ctx.runId());
            }
            g.writeNumberField("attempt", ctx.attempt());
            if (ctx.fnId() != null) {
                g.writeStringField("fn_id", ctx.fnId());
            }
            g.writeBooleanField("disable_immediate_execution", ctx.disableImmediateExecution());
            g.writeBooleanField("use_api", ctx.useApi());
            if (ctx.maxAttempts() != null) {
                g.writeNumberField("max_attempts", ctx.maxAttempts());
            }
            g.writeObjectFieldStart("stack");
            g.writeFieldName("stack");
            g.writeRawValue(state.stack());
            g.writeNumberField("current", state.stackSize());
            g.writeEndObject();
            if (ctx.env() != null) {
                g.writeStringField("env", ctx.env());
            }
            if (ctx.qiId() != null) {
                g.writeStringField("qi_id", ctx.qiId());
            }
            g.writeEndObject();
            g.writeNumberField("version", version);
            g.writeBooleanField("use_api", false);
            g.writeEndObject();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** The error a run fails with once its state passes {@link #MAX_STATE_BYTES}. */
    static WireError overflowed(long stateBytes) {
        return WireError.of("InngestErrStateOverflowed", "The function run exceeded the state size limit of "
                + MAX_STATE_BYTES + " bytes (its steps' results add up to " + stateBytes + " bytes); "
                + "keep large data outside the run and return a reference to it from the step");
    }

    /**
     * The SDK's answer (its body {@code answerBytes} long) with Inngest's limits applied: a {@code StepRun} whose output is over 4 MiB becomes a
     * {@code StepFailed} saying so; when the outputs take the run's state over 32 MiB, the run fails.
     */
    static SdkAnswer enforce(SdkAnswer answer, long stateBytes, long answerBytes) {
        if (!(answer instanceof SdkAnswer.Ops ops)
                || (answerBytes <= MAX_STEP_OUTPUT_BYTES && stateBytes + answerBytes <= MAX_STATE_BYTES)) {
            // The body bounds its outputs: nothing in it can break a limit, so nothing is measured (the hot path).
            return answer;
        }
        List<Op> out = null;
        long state = stateBytes;
        for (int i = 0; i < ops.ops().size(); i++) {
            if (!(ops.ops().get(i) instanceof Op.StepRun run)) {
                continue;
            }
            int size = run.data() == null ? 4 : Json.toBytes(run.data()).length;
            if (size > MAX_STEP_OUTPUT_BYTES) {
                if (out == null) {
                    out = new ArrayList<>(ops.ops());
                }
                out.set(i, new Op.StepFailed(run.id(), run.name(), run.displayName(), tooLarge(run, size)));
                continue;
            }
            state += size;
            if (state > MAX_STATE_BYTES) {
                return new SdkAnswer.Failed(overflowed(state));
            }
        }
        if (out == null) {
            return answer;
        }
        // The function's end was computed from the output the run cannot keep: drop it, so that the run goes
        // on from the failed step (the SDK then sees the step's error) instead of completing with it.
        out.removeIf(op -> op instanceof Op.RunComplete);
        return new SdkAnswer.Ops(out, ops.noRetry(), ops.retryAfter(), ops.timings(), ops.metadata(), ops.raced());
    }

    static WireError tooLarge(Op.StepRun run, int size) {
        String name = run.displayName() != null ? run.displayName() : run.name() != null ? run.name() : run.id();
        return WireError.of("StepOutputTooLarge", "the output of step \"" + name + "\" is " + size
                + " bytes, over Inngest's limit of " + MAX_STEP_OUTPUT_BYTES + " bytes (4 MiB) per step; "
                + "store large data outside the run and return a reference to it");
    }
}
