package dev.loomstep.internal.run;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.middleware.StepInfo;
import dev.loomstep.protocol.Json;
import dev.loomstep.protocol.Op;
import java.util.concurrent.Callable;

/**
 * A step reached but not memoized: a body to execute (run kinds) or an op to report (the others).
 *
 * @param op   the op to report for a non-run kind; null for run kinds, which are reported as
 *             {@code StepPlanned} or executed
 * @param opts the {@code opts} of a run kind's op when its kind alone does not say them (an ai.wrap's input)
 */
record PendingStep(StepInfo info, Kind kind, Op op, Callable<?> body, JsonNode opts) {
    private static final JsonNode SEND_EVENT_OPTS = Json.nodes().objectNode().put("type", "step.sendEvent");

    enum Kind {
        RUN("run"), SEND_EVENT("sendEvent"), SLEEP("sleep"), WAIT_FOR_EVENT("waitForEvent"), INVOKE("invoke"),
        FETCH("fetch"), AI_INFER("ai.infer"), AI_WRAP("ai.wrap");

        final String label;

        Kind(String label) {
            this.label = label;
        }

        /** Whether the SDK executes this step's body itself (as opposed to the executor acting). */
        boolean executes() {
            return this == RUN || this == SEND_EVENT || this == AI_WRAP;
        }
    }

    PendingStep(StepInfo info, Kind kind, Op op, Callable<?> body) {
        this(info, kind, op, body, null);
    }

    /** The op's {@code name}: the step id, or {@code "sendEvent"} as the JS SDK names those. */
    String opName() {
        return kind == Kind.SEND_EVENT ? "sendEvent" : info.id();
    }

    /** The op's {@code opts} for run kinds: none for a run, the step type for a sendEvent. */
    JsonNode runOpts() {
        if (opts != null) {
            return opts.deepCopy();
        }
        return kind == Kind.SEND_EVENT ? SEND_EVENT_OPTS.deepCopy() : null;
    }

    /** How the op is reported when it is not executed in this request. */
    Op reported() {
        return op != null ? op : new Op.StepPlanned(info.hashedId(), opName(), info.id(), runOpts());
    }
}
