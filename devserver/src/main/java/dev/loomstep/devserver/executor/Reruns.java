package dev.loomstep.devserver.executor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loomstep.devserver.store.FunctionRecord;
import dev.loomstep.devserver.store.RunRecord;
import dev.loomstep.devserver.store.StepRecord;
import dev.loomstep.devserver.store.Store;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Rerun, whole or from a step. From a step, the new run starts with the steps the old run finished
 * before that step already memoized (their outputs and errors, in the old run's stack order), so the
 * SDK skips them and runs the chosen step and everything after it again; optionally the chosen step
 * gets edited input ({@code {"input": [...]}} in the call's {@code steps}, which SDKs with step input,
 * such as the JS SDK's {@code step.run(id, fn, ...args)}, run the step with).
 */
public final class Reruns {
    /** Why a rerun from a step cannot start: a step the old run does not have, or a name two of its steps share. */
    public static final class BadStep extends RuntimeException {
        BadStep(String message) {
            super(message);
        }
    }

    private final Lifecycle lifecycle;
    private final Store store;

    public Reruns(Lifecycle lifecycle) {
        this.lifecycle = lifecycle;
        this.store = lifecycle.store();
    }

    /**
     * Starts a new run of {@code fn} with the old run's events (through flow control, like a new event);
     * with {@code fromStep} (a step's id, or its name when one step has it) the steps before it are reused.
     * Empty when flow control started no run. The steps are checked before any run is created.
     */
    public Optional<String> rerun(FunctionRecord fn, RunRecord old, String fromStep, JsonNode input) {
        List<StepRecord> steps = store.steps(old.id());
        StepRecord from = fromStep == null ? null : find(old, steps, fromStep);
        if (from == null && input != null) {
            throw new BadStep("input needs from_step: it is the input of the step the rerun starts from");
        }
        return store.tx(() -> {
            Optional<String> created = lifecycle.createRun(fn, old.events(), null);
            created.ifPresent(runId -> {
                store.noteRerun(runId, old.id());
                if (from != null) {
                    reuse(old, runId, steps, from, input);
                }
            });
            return created;
        });
    }

    private static StepRecord find(RunRecord old, List<StepRecord> steps, String wanted) {
        for (StepRecord s : steps) {
            if (s.id().equals(wanted)) {
                return s;
            }
        }
        List<StepRecord> named = steps.stream().filter(s -> wanted.equals(s.name())).toList();
        if (named.size() == 1) {
            return named.get(0);
        }
        if (named.isEmpty()) {
            throw new BadStep("run \"" + old.id() + "\" has no step with id or name \"" + wanted + "\"");
        }
        throw new BadStep(named.size() + " steps of run \"" + old.id() + "\" are named \"" + wanted + "\"; give the step's id ("
                + String.join(", ", named.stream().map(StepRecord::id).toList()) + ")");
    }

    /**
     * Memoizes in the new run the old run's steps that ended before {@code from}: those before it in the
     * stack when it is memoized, else those that ended before it started. Reused steps are drawn at the new
     * run's start, marked with the run they came from.
     */
    private void reuse(RunRecord old, String runId, List<StepRecord> steps, StepRecord from, JsonNode input) {
        long now = lifecycle.clock().millis();
        Map<String, JsonNode> details = store.stepDetails(old.id());
        for (StepRecord s : steps) {
            if (!s.memoized() || s.id().equals(from.id()) || !before(s, from)) {
                continue;
            }
            store.memoize(runId, s.id(), s.name(), s.op(), s.status(), s.memo(), s.error(), 0, now, now);
            JsonNode d = details.get(s.id());
            ObjectNode detail = d instanceof ObjectNode o ? o.deepCopy() : com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
            store.noteStepDetail(runId, s.id(), detail.put("reused_from", old.id()));
        }
        if (input != null) {
            store.noteStepInput(runId, from.id(), from.name(), from.op(), input);
        }
    }

    private static boolean before(StepRecord s, StepRecord from) {
        if (from.memoized()) {
            return s.seq() < from.seq();
        }
        return from.startedAt() == null || (s.endedAt() != null && s.endedAt() <= from.startedAt());
    }
}
