package dev.loomstep.protocol;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loomstep.Event;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A run's history as a file: what the engine needs to replay the run against a function's current code —
 * its events and every step the code reached, in the order the executor recorded them. The devserver
 * exports it ({@code GET /v1/runs/{runId}/history}); the test kit's {@code Replayer} reads it.
 *
 * <p>Format {@value #FORMAT}, version {@value #VERSION} (JSON, snake_case):
 * <pre>{@code
 * {"format": "loomstep.run-history", "version": 1,
 *  "function_id": "shop-process-order", "run_id": "01J…", "status": "Completed",
 *  "events": [{"name": "shop/order.placed", "data": {…}, "id": "…", "ts": 1767225600000}],
 *  "steps": [
 *    {"id": "<sha1 of 'charge'>", "name": "charge", "op": "StepRun", "status": "completed", "seq": 0,
 *     "memo": {"data": {"receipt": "r_1"}}},
 *    {"id": "<sha1 of 'ship'>", "name": "ship", "op": "StepRun", "status": "planned"}],
 *  "output": {…}}
 * }</pre>
 *
 * @param functionId the function's composite id ({@code {appId}-{functionId}})
 * @param status     the run's status when exported ({@code Running}, {@code Completed}, {@code Failed}, {@code Cancelled})
 * @param steps      memoized steps first, in the executor's order ({@code seq}), then the steps the code reached
 *                   that have no result yet
 * @param output     the run's output when it completed
 * @param error      the run's error when it failed
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record RunHistory(
        String format,
        int version,
        @JsonProperty("function_id") String functionId,
        @JsonProperty("run_id") String runId,
        String status,
        List<Event> events,
        List<Step> steps,
        JsonNode output,
        WireError error) {

    /** The value of {@code format}. */
    public static final String FORMAT = "loomstep.run-history";
    /** The version this code writes and reads; a reader refuses a newer one. */
    public static final int VERSION = 1;

    public RunHistory {
        events = events == null ? List.of() : List.copyOf(events);
        steps = steps == null ? List.of() : List.copyOf(steps);
    }

    /**
     * One step the code reached.
     *
     * @param id     the wire id: hex SHA-1 of the user's step id, or of {@code "{id}:{n}"} for its n-th repeat
     * @param name   the user's step id (the display name when the step has one)
     * @param op     the op kind the executor recorded ({@code StepRun}, {@code Sleep}, {@code WaitForEvent},
     *               {@code InvokeFunction}, {@code StepFailed}, …)
     * @param status the executor's status of the step ({@code completed}, {@code failed}, {@code planned}, …)
     * @param seq    the step's place in the executor's completion order ({@code ctx.stack}); null when it has
     *               no result yet
     * @param memo   what the executor sends back for it in a call request's {@code steps}: {@code {"data": x}},
     *               {@code {"error": e}}, an event, or null; meaningful when {@code seq} is set
     * @param group  steps reached side by side in one fan-out share a group, when the recorder knew it;
     *               null otherwise
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Step(String id, String name, String op, String status, Integer seq, JsonNode memo, String group) {
        /** Whether the executor recorded a result for it (sent back to the SDK as memoized state). */
        public boolean memoized() {
            return seq != null;
        }
    }

    /** Reads a history, refusing another format or a newer version with a message saying which. */
    public static RunHistory read(byte[] json, String where) {
        JsonNode tree;
        try {
            tree = Json.mapper().readTree(json);
        } catch (IOException e) {
            throw new IllegalArgumentException(where + " is not JSON: " + e.getMessage().lines().findFirst().orElse(""), e);
        }
        if (tree != null && tree.isObject() && tree.has("data") && !tree.has("format")) {
            tree = tree.get("data"); // the REST API's envelope
        }
        if (tree == null || !tree.isObject() || !FORMAT.equals(tree.path("format").asText(null))) {
            throw new IllegalArgumentException(where + " is not a run history: its \"format\" must be \"" + FORMAT + "\"");
        }
        int version = tree.path("version").asInt(-1);
        if (version < 1 || version > VERSION) {
            throw new IllegalArgumentException(where + " is a run history of version " + tree.path("version")
                    + "; this Loomstep reads versions 1 to " + VERSION + " (upgrade Loomstep to read it)");
        }
        try {
            return Json.mapper().treeToValue(tree, RunHistory.class);
        } catch (IOException e) {
            throw new IllegalArgumentException(where + " is not a valid run history: " + e.getMessage().lines().findFirst().orElse(""), e);
        }
    }

    /** The history as JSON. */
    public byte[] toJson() {
        return Json.toBytes(this);
    }

    /** The memoized steps in the executor's order. */
    public List<Step> memoizedSteps() {
        return steps.stream().filter(Step::memoized).sorted((a, b) -> Integer.compare(a.seq(), b.seq())).toList();
    }

    /**
     * A history built by hand, for tests: steps are added in the order the executor recorded them and
     * their wire ids are hashed as the engine does (repeats of an id counted).
     * <pre>{@code
     * RunHistory h = RunHistory.builder("shop-process-order", Event.of("shop/order.placed", order))
     *     .step("charge", new Receipt("r_1"))
     *     .parallel("ship", List.of("pack-1", "pack-2"), List.of(true, true))
     *     .build();
     * }</pre>
     */
    public static Builder builder(String functionId, Event... events) {
        return new Builder(functionId, List.of(events));
    }

    /** Builds a {@link RunHistory}; see {@link RunHistory#builder}. */
    public static final class Builder {
        private final String functionId;
        private final List<Event> events;
        private final List<Step> steps = new ArrayList<>();
        private final Map<String, Integer> repeats = new HashMap<>();
        private int seq;
        private int groups;
        private String status = "Running";
        private JsonNode output;

        private Builder(String functionId, List<Event> events) {
            this.functionId = functionId;
            this.events = events;
        }

        private String hash(String id) {
            return StepIds.hash(id, repeats.merge(id, 1, Integer::sum) - 1);
        }

        private Builder add(String id, String op, JsonNode memo, String group) {
            steps.add(new Step(hash(id), id, op, "completed", seq++, memo, group));
            return this;
        }

        /** A {@code step.run} that returned {@code output} (written with Loomstep's mapper). */
        public Builder step(String id, Object output) {
            return add(id, "StepRun", data(output), null);
        }

        /** A {@code step.run} that failed for good. */
        public Builder failedStep(String id, String errorName, String message) {
            ObjectNode memo = Json.nodes().objectNode();
            memo.set("error", Json.toTree(WireError.of(errorName, message)));
            return add(id, "StepFailed", memo, null);
        }

        /** A sleep that ended. */
        public Builder sleep(String id) {
            return add(id, "Sleep", Json.nodes().nullNode(), null);
        }

        /** A waitForEvent that received {@code event}, or timed out when it is null. */
        public Builder waitForEvent(String id, Event event) {
            return add(id, "WaitForEvent", event == null ? Json.nodes().nullNode() : Json.toTree(event), null);
        }

        /**
         * A fan-out: one {@code step.run} per id, run side by side, each with its output (same order);
         * recorded in the order given.
         */
        public Builder parallel(List<String> ids, List<?> outputs) {
            if (ids.size() != outputs.size()) {
                throw new IllegalArgumentException("a fan-out needs one output per step id: " + ids.size() + " ids, " + outputs.size() + " outputs");
            }
            String group = "fan-out-" + (++groups);
            for (int i = 0; i < ids.size(); i++) {
                add(ids.get(i), "StepRun", data(outputs.get(i)), group);
            }
            return this;
        }

        /** A step the code reached that has no result yet (planned, running or waiting). */
        public Builder pending(String id, String op) {
            steps.add(new Step(hash(id), id, op, "planned", null, null, null));
            return this;
        }

        /** The run completed with {@code output}. */
        public Builder completed(Object output) {
            this.status = "Completed";
            this.output = Json.toTree(output);
            return this;
        }

        public RunHistory build() {
            return new RunHistory(FORMAT, VERSION, functionId, "replay-" + StepIds.sha1Hex(functionId + steps).substring(0, 12),
                    status, events, steps, output, null);
        }

        private static JsonNode data(Object output) {
            return Json.nodes().objectNode().set("data", Json.toTree(output));
        }
    }
}
