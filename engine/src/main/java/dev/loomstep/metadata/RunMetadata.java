package dev.loomstep.metadata;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loomstep.EventSender;
import dev.loomstep.internal.run.ExecutingStep;
import dev.loomstep.protocol.StepIds;
import dev.loomstep.protocol.Json;

/**
 * Attaches metadata (small JSON objects a person reads beside the run: a status, a customer, a model's cost)
 * to a run or to one of its steps, through the Inngest API's {@code POST /v1/runs/{runId}/metadata}, as the
 * JS SDK's {@code inngest.metadata} does. Immutable: {@link #step} and {@link #attempt} return a narrower target.
 *
 * <pre>{@code
 * app.metadata(ctx.runId()).set(Map.of("status", "charging"));                  // the run
 * app.metadata(ctx.runId()).step("charge").set(Map.of("gateway", "stripe"), "payments"); // a step
 * }</pre>
 *
 * Each {@link #set} replaces the values of its kind ({@code userland.<kind>}, {@code userland.default} when
 * none is given) on its target; other kinds stay. Values are a JSON object; each update is at most 64 KB
 * and a run holds at most 1 MB of metadata, as Inngest limits them.
 */
public final class RunMetadata {
    /** The kind {@link #set(Object)} writes, as the JS SDK names it. */
    public static final String DEFAULT_KIND = "default";

    private final EventSender sender;
    private final ObjectMapper mapper;
    private final String runId;
    private final String stepId;
    private final Integer stepIndex;
    private final Integer attempt;

    private RunMetadata(EventSender sender, ObjectMapper mapper, String runId, String stepId, Integer stepIndex, Integer attempt) {
        this.sender = sender;
        this.mapper = mapper;
        this.runId = runId;
        this.stepId = stepId;
        this.stepIndex = stepIndex;
        this.attempt = attempt;
    }

    /** The metadata of run {@code runId}, sent with {@code sender}; values go through {@code mapper}. */
    public static RunMetadata of(EventSender sender, ObjectMapper mapper, String runId) {
        if (runId == null || runId.isBlank()) {
            throw new IllegalArgumentException("metadata needs the id of the run it belongs to; got a blank run id");
        }
        return new RunMetadata(sender, mapper, runId, null, null, null);
    }

    /** The metadata of this run's step {@code id} (its first occurrence). */
    public RunMetadata step(String id) {
        return step(id, 0);
    }

    /**
     * The metadata of this run's step {@code id}, its {@code index}-th repeat (0 is the first; a step id
     * used again in one run is its {@code id:1}, {@code id:2}, … as step ids are hashed).
     */
    public RunMetadata step(String id, int index) {
        if (id == null || id.isBlank()) {
            throw new IllegalArgumentException("a step's metadata needs the step's id; got a blank one");
        }
        if (index < 0) {
            throw new IllegalArgumentException("a step index is 0 or more; got " + index);
        }
        return new RunMetadata(sender, mapper, runId, id, index, attempt);
    }

    /** Narrows a step's metadata to one attempt (0 is the first); without it the step's latest attempt. */
    public RunMetadata attempt(int attempt) {
        if (stepId == null) {
            throw new IllegalStateException("attempt() narrows a step's metadata: call step(id) first");
        }
        if (attempt < 0) {
            throw new IllegalArgumentException("an attempt is 0 or more; got " + attempt);
        }
        return new RunMetadata(sender, mapper, runId, stepId, stepIndex, attempt);
    }

    /** Sets this target's {@code userland.default} metadata to {@code values} (an object: a map or a record). */
    public void set(Object values) {
        set(values, DEFAULT_KIND);
    }

    /**
     * Sets this target's {@code userland.<kind>} metadata to {@code values} (an object: a map or a record).
     * Inside a {@code step.run} body of this run (and attempt), for the run or that very step, the update rides on
     * the step's op, as the JS SDK batches it: no request of its own, and it is kept once the step's result is.
     */
    public void set(Object values, String kind) {
        JsonNode body = request(values, kind);
        ExecutingStep executing = ExecutingStep.current();
        if (executing != null && executing.runId() != null && executing.runId().equals(runId)
                && (attempt == null || attempt == executing.attempt())) {
            JsonNode update = body.get("metadata").get(0);
            if (stepId == null) {
                executing.add(update.get("kind").asText(), "run", "set", update.get("values"));
                return;
            }
            if (StepIds.hash(stepId, stepIndex).equals(executing.hashedId())) {
                executing.add(update.get("kind").asText(), "step", "set", update.get("values"));
                return;
            }
        }
        try {
            sender.sendMetadata(runId, body);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("cannot send metadata for run " + runId + ": " + e.getMessage(), e);
        }
    }

    /**
     * The request body {@link #set(Object, String)} sends: {@code {target: {run_id, step_id, step_index,
     * step_attempt}, metadata: [{kind, op: "set", values}]}}, the step fields only for a step's metadata.
     */
    public JsonNode request(Object values, String kind) {
        if (kind == null || kind.isBlank()) {
            throw new IllegalArgumentException("a metadata kind must not be blank; use set(values) for \"" + DEFAULT_KIND + "\"");
        }
        JsonNode v = values == null ? null : mapper.valueToTree(values);
        if (v == null || !v.isObject()) {
            throw new IllegalArgumentException("metadata values are a JSON object (a map or a record); got "
                    + (v == null ? "null" : v.getNodeType().name().toLowerCase()));
        }
        ObjectNode body = Json.nodes().objectNode();
        ObjectNode target = body.putObject("target").put("run_id", runId);
        if (stepId != null) {
            target.put("step_id", stepId).put("step_index", stepIndex);
            if (attempt != null) {
                target.put("step_attempt", attempt);
            }
        }
        body.putArray("metadata").addObject().put("kind", "userland." + kind).put("op", "set").set("values", v);
        return body;
    }
}
