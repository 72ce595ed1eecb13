package dev.loomstep.internal.run;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.NonRetriableException;
import dev.loomstep.RetryAfterException;
import dev.loomstep.StepFailedException;
import dev.loomstep.middleware.StepInfo;
import dev.loomstep.protocol.CallResult;
import dev.loomstep.protocol.Json;
import dev.loomstep.protocol.Op;
import dev.loomstep.protocol.WireError;
import dev.loomstep.protocol.WireOp;
import java.util.ArrayList;
import java.util.List;

/** The classic (one answer per step) forms of a call's answer. */
final class Answers {
    private Answers() {}

    static Op.StepRun stepRun(PendingStep step, JsonNode data) {
        return new Op.StepRun(step.info().hashedId(), step.opName(), step.info().id(), step.executedOpts(), data);
    }

    /** A step executed in this request: its result, or its error, final or to retry. */
    static CallResult executed(PendingStep step, Output out, boolean lastAttempt) {
        StepInfo info = step.info();
        Throwable error = out.error;
        if (error == null) {
            var ran = stepRun(step, out.result).toWire();
            WireOp.Timing t = out.timing();
            return new CallResult(206, Json.toBytes(List.of((t == null ? ran : ran.withTiming(t)).withMetadata(out.metadata))), false, null, false);
        }
        WireError wire = Errors.toWire(error);
        // As the JS SDK, the error op is the executed op with an error: it keeps the step's opts (a sendEvent's or
        // sendSignal's type and signal, an ai.wrap's input, a race's parallelMode), so the executor and its UI
        // still know what kind of step failed.
        if (isFinal(error, lastAttempt)) {
            var failed = new Op.StepFailed(info.hashedId(), step.opName(), info.id(), wire);
            return failure(failed.toWire(), step, null, out, true);
        }
        String retryAfter = error instanceof RetryAfterException r ? r.retryAfterHeader() : null;
        var erred = new Op.StepError(info.hashedId(), step.opName(), info.id(), wire);
        return failure(erred.toWire(), step, retryAfter, out, false);
    }

    private static CallResult failure(WireOp wire, PendingStep step, String retryAfter, Output out, boolean noRetry) {
        WireOp withOpts = new WireOp(wire.id(), wire.op(), wire.name(), wire.displayName(), step.executedOpts(), wire.data(), wire.error());
        WireOp.Timing timing = out.timing();
        Object body = List.of((timing == null ? withOpts : withOpts.withTiming(timing)).withMetadata(out.metadata));
        return new CallResult(206, Json.toBytes(body), noRetry, retryAfter, true);
    }

    /** Whether a step error fails the step for good rather than asking the executor for a retry. */
    static boolean isFinal(Throwable error, boolean lastAttempt) {
        return error instanceof NonRetriableException || error instanceof StepFailedException || lastAttempt;
    }

    /** A 206 with {@code ops}; a single step error or failure carries the retry verdict. */
    static CallResult ops(List<Op> ops, String retryAfter) {
        var wire = new ArrayList<Object>(ops.size());
        for (Op op : ops) {
            wire.add(op.toWire());
        }
        Op only = ops.size() == 1 ? ops.get(0) : null;
        boolean failure = only instanceof Op.StepFailed || only instanceof Op.StepError;
        return new CallResult(206, Json.toBytes(wire), only instanceof Op.StepFailed, retryAfter, failure);
    }
}
