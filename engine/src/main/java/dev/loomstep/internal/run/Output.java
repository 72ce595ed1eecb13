package dev.loomstep.internal.run;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.middleware.OutputContext;
import dev.loomstep.middleware.StepInfo;

/** The mutable output middleware sees in {@code transformOutput}. */
final class Output implements OutputContext {
    private final StepInfo step;
    JsonNode result;
    Throwable error;
    /** When the body ran, in epoch milliseconds (0 when it did not run here); sent as the op's timing. */
    long startedAtMillis;
    long endedAtMillis;
    /** The metadata set while the body ran, for its op ({@link ExecutingStep}); null when none. */
    JsonNode metadata;

    Output(StepInfo step, JsonNode result, Throwable error) {
        this.step = step;
        this.result = result;
        this.error = error;
    }

    @Override public StepInfo step() { return step; }
    @Override public JsonNode result() { return result; }
    @Override public void result(JsonNode replacement) { result = replacement; error = null; }
    @Override public Throwable error() { return error; }
    @Override public void error(Throwable replacement) { error = replacement; }

    /** The timing to send with this step's op, or null when the body did not run here. */
    dev.loomstep.protocol.WireOp.Timing timing() {
        return startedAtMillis == 0 ? null : dev.loomstep.protocol.WireOp.Timing.ofMillis(startedAtMillis, endedAtMillis);
    }
}
