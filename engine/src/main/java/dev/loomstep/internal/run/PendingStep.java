package dev.loomstep.internal.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loomstep.middleware.StepInfo;
import dev.loomstep.protocol.Json;
import dev.loomstep.protocol.Op;
import dev.loomstep.protocol.WireOp;
import java.util.concurrent.Callable;

/**
 * A step reached but not memoized: a body to execute (run kinds) or an op to report (the others).
 *
 * @param op      the op to report for a non-run kind; null for run kinds, which are reported as
 *                {@code StepPlanned} or executed
 * @param runOpts the {@code opts} of a run kind's op: none for a run, the step type for a sendEvent or
 *                sendSignal (and its signal), an ai.wrap's type and input, as the JS SDK sends them
 * @param race    reached inside a race: every op carries {@code opts.parallelMode: "race"}, and the step
 *                is never executed at once (the JS SDK's rule), so the executor plans it
 */
record PendingStep(StepInfo info, Kind kind, Op op, Callable<?> body, JsonNode runOpts, boolean race) {

    enum Kind {
        RUN("run"), SEND_EVENT("sendEvent"), SLEEP("sleep"), WAIT_FOR_EVENT("waitForEvent"), INVOKE("invoke"),
        WAIT_FOR_SIGNAL("waitForSignal"), SEND_SIGNAL("sendSignal"), FETCH("fetch"), AI_INFER("ai.infer"),
        AI_WRAP("ai.wrap"), REALTIME_PUBLISH("realtime.publish");

        final String label;

        Kind(String label) {
            this.label = label;
        }

        /** Whether the SDK executes this step's body itself (as opposed to the executor acting). */
        boolean executes() {
            return this == RUN || this == SEND_EVENT || this == SEND_SIGNAL || this == AI_WRAP || this == REALTIME_PUBLISH;
        }
    }

    static PendingStep of(StepInfo info, Kind kind, Op op, Callable<?> body, JsonNode runOpts, boolean race) {
        JsonNode opts = race ? withRace(runOpts) : runOpts;
        Op reported = op == null || !race ? op : new Op.Other(withRace(op.toWire()));
        return new PendingStep(info, kind, reported, body, opts, race);
    }

    /** The op's {@code name}: the step id, or the tool's name ({@code "sendEvent"}) as the JS SDK names those. */
    String opName() {
        return switch (kind) {
            case SEND_EVENT, SEND_SIGNAL -> kind.label;
            // The JS SDK names no realtime publish op (only its displayName and userland carry the id).
            case REALTIME_PUBLISH -> null;
            default -> info.id();
        };
    }

    /** How the op is reported when it is not executed in this request. */
    Op reported() {
        return op != null ? op : new Op.StepPlanned(info.hashedId(), opName(), info.id(), runOpts == null ? null : runOpts.deepCopy());
    }

    /** {@code runOpts} as the executed op carries them (a fresh copy: answers own their JSON). */
    JsonNode executedOpts() {
        return runOpts == null ? null : runOpts.deepCopy();
    }

    private static JsonNode withRace(JsonNode opts) {
        ObjectNode out = opts instanceof ObjectNode o ? o.deepCopy() : Json.nodes().objectNode();
        out.put("parallelMode", "race");
        return out;
    }

    private static WireOp withRace(WireOp w) {
        return new WireOp(w.id(), w.op(), w.name(), w.displayName(), withRace(w.opts()), w.data(), w.error());
    }
}
