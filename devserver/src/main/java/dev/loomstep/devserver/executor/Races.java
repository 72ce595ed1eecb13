package dev.loomstep.devserver.executor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loomstep.devserver.store.StepRecord;
import dev.loomstep.devserver.store.Store;
import dev.loomstep.protocol.Json;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Which steps of a run raced one another, so its page can say which branch won. The ops an SDK answers
 * together with {@code opts.parallelMode: "race"} are one race, named after the first of them; each
 * keeps that name as {@code race} in its step detail. The winner is the race's step memoized first.
 */
public final class Races {
    private Races() {}

    /** Marks the steps of one answer's race (two or more ops); a step already in a race keeps it. */
    static void note(Store store, String runId, List<String> raced) {
        if (raced.size() < 2) {
            return;
        }
        String race = raced.get(0);
        Map<String, JsonNode> details = store.stepDetails(runId);
        for (String stepId : raced) {
            JsonNode d = details.get(stepId);
            if (d != null && d.has("race")) {
                continue;
            }
            ObjectNode detail = d instanceof ObjectNode o ? o.deepCopy() : Json.nodes().objectNode();
            store.noteStepDetail(runId, stepId, detail.put("race", race));
        }
    }

    /**
     * Each race of a run and its winner: race name to the id of its step memoized first (lowest place in
     * the stack), or to null while none has ended. {@code steps} in stack order, as the store lists them.
     */
    public static Map<String, String> winners(List<StepRecord> steps, Map<String, JsonNode> details) {
        Map<String, String> out = new HashMap<>();
        for (StepRecord s : steps) {
            JsonNode d = details.get(s.id());
            String race = d == null || !d.hasNonNull("race") ? null : d.get("race").asText();
            if (race == null) {
                continue;
            }
            out.putIfAbsent(race, null);
            if (s.memoized() && out.get(race) == null) {
                out.put(race, s.id());
            }
        }
        return out;
    }
}
