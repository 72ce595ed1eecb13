package dev.loomstep.devserver.store;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.protocol.WireError;

/**
 * A step of a run as the executor saw it.
 *
 * @param memo     the value sent back to the SDK in {@code steps} ({@code {"data":…}}, {@code {"error":…}},
 *                 an event, or null); meaningful once {@code seq} is set
 * @param seq      position in the run's stack, or null while the step is not memoized yet
 * @param status   planned, running, errored (will retry), waiting, completed, failed
 */
public record StepRecord(
        String runId,
        String id,
        String name,
        String op,
        String status,
        JsonNode memo,
        WireError error,
        Integer seq,
        int attempts,
        Long startedAt,
        Long endedAt) {

    public boolean memoized() {
        return seq != null;
    }

    /** The input a step that has not run yet is to run with (Rerun from a step with edited input), or null. */
    public JsonNode input() {
        return seq == null && memo != null && memo.isObject() && memo.has("input") ? memo.get("input") : null;
    }
}
