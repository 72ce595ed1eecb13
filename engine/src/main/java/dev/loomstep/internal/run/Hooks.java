package dev.loomstep.internal.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loomstep.middleware.InputContext;
import dev.loomstep.middleware.OutputContext;
import dev.loomstep.middleware.RunHooks;
import dev.loomstep.middleware.StepInfo;
import java.util.List;

/** The run hooks of every middleware of a request, called in registration order (client first). */
final class Hooks {
    static final Hooks NONE = new Hooks(List.of());

    private final List<RunHooks> all;

    Hooks(List<RunHooks> all) {
        this.all = all;
    }

    boolean isEmpty() {
        return all.isEmpty();
    }

    void transformInput(InputContext c) {
        for (RunHooks h : all) h.transformInput(c);
    }

    void beforeMemoization() {
        for (RunHooks h : all) h.beforeMemoization();
    }

    void afterMemoization() {
        for (RunHooks h : all) h.afterMemoization();
    }

    void beforeExecution(StepInfo s) {
        for (RunHooks h : all) h.beforeExecution(s);
    }

    void afterExecution(StepInfo s) {
        for (RunHooks h : all) h.afterExecution(s);
    }

    void transformOutput(OutputContext c) {
        for (RunHooks h : all) h.transformOutput(c);
    }

    JsonNode transformStepResult(String stepId, JsonNode result) {
        for (RunHooks h : all) result = h.transformStepResult(stepId, result);
        return result;
    }

    void transformInvokePayload(StepInfo s, ObjectNode payload) {
        for (RunHooks h : all) h.transformInvokePayload(s, payload);
    }

    void beforeResponse() {
        for (RunHooks h : all) h.beforeResponse();
    }
}
