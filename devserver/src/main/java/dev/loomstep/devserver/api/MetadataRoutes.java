package dev.loomstep.devserver.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loomstep.devserver.executor.Lifecycle;
import dev.loomstep.devserver.store.MetadataChecks;
import dev.loomstep.devserver.store.MetadataRecord;
import dev.loomstep.devserver.store.Store;
import dev.loomstep.protocol.Json;
import dev.loomstep.protocol.StepIds;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.RoutingHandler;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code POST /v1/runs/{runId}/metadata} with {@code {target: {run_id, step_id, step_index, step_attempt},
 * metadata: [{kind, op, values}]}}, as SDKs send it (JS's {@code inngest.metadata}, Loomstep's
 * {@code app.metadata(runId)}): without {@code step_id} the run's metadata, with it one step's. Checked whole
 * before anything is stored (a bad update refuses the request with one 400 line), and limited as Inngest
 * limits it: 64 KB per update (413), 1 MB per run (413). {@link #attach} shows it in {@code GET /v1/runs/{runId}}.
 */
final class MetadataRoutes {
    private final Lifecycle lifecycle;
    private final Store store;

    MetadataRoutes(Lifecycle lifecycle) {
        this.lifecycle = lifecycle;
        this.store = lifecycle.store();
    }

    void addTo(RoutingHandler r, HttpApi api) {
        r.post("/v1/runs/{runId}/metadata", api.blocking(this::add));
    }

    private Object add(HttpServerExchange ex, byte[] body) {
        String runId = Rest.path(ex, "runId");
        JsonNode in = Rest.parseJson(body, "a metadata update");
        if (!in.isObject()) {
            throw bad("the body is {\"target\": {...}, \"metadata\": [{\"kind\", \"op\", \"values\"}]}; got " + oneLine(in));
        }
        JsonNode target = in.path("target");
        if (!target.isMissingNode() && !target.isNull() && !target.isObject()) {
            throw bad("target is an object ({\"run_id\", \"step_id\", \"step_index\", \"step_attempt\"}); got " + oneLine(target));
        }
        JsonNode runField = target.path("run_id");
        if (!runField.isMissingNode() && !runField.isNull() && !runField.asText().equals(runId)) {
            throw bad("target.run_id \"" + runField.asText() + "\" is not the run of the path, \"" + runId + "\"");
        }
        JsonNode stepField = target.path("step_id");
        String stepId = null;
        if (stepField.isMissingNode() || stepField.isNull()) {
            for (String f : List.of("step_index", "step_attempt", "span_id")) {
                if (!target.path(f).isMissingNode() && !target.path(f).isNull()) {
                    throw bad("target.step_id must be defined if target." + f + " is defined");
                }
            }
        } else if (!stepField.isTextual() || stepField.asText().isEmpty()) {
            throw bad("target.step_id is a step's id as the function names it; got " + oneLine(stepField));
        } else {
            stepId = stepField.asText();
        }
        if (!target.path("span_id").isMissingNode() && !target.path("span_id").isNull()) {
            throw bad("target.span_id (metadata on an extended-trace span) is not supported by this devserver; target the run or a step");
        }
        int stepIndex = intField(target, "step_index", 0);
        int attempt = intField(target, "step_attempt", -1);
        JsonNode list = in.path("metadata");
        if (!list.isArray()) {
            throw bad("metadata is an array of {\"kind\", \"op\", \"values\"}; got " + oneLine(list));
        }
        List<Store.MetadataUpdate> updates = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            try {
                updates.add(MetadataChecks.read(list.get(i), "metadata[" + i + "]", stepId == null ? "" : StepIds.hash(stepId, stepIndex),
                        stepId, stepId == null ? null : stepIndex, attempt < 0 ? null : attempt));
            } catch (MetadataChecks.Invalid e) {
                throw new ApiException(e.status(), e.getMessage());
            }
        }
        store.run(runId).orElseThrow(() -> ApiException.notFound("no run with id \"" + runId + "\""));
        if (!store.applyMetadata(runId, updates, lifecycle.clock().millis())) {
            throw new ApiException(413, "Cumulative metadata size exceeds limit: a run holds at most "
                    + MetadataRecord.MAX_RUN_BYTES + " bytes of metadata");
        }
        return Json.nodes().objectNode();
    }

    /**
     * Adds a run's metadata to its {@code GET /v1/runs/{runId}} view: all of it as {@code metadata} on the run
     * (each entry with its {@code scope}), and each step's on that step's entry in {@code steps}.
     */
    static void attach(ObjectNode run, List<MetadataRecord> all) {
        ArrayNode onRun = run.putArray("metadata");
        Map<String, ArrayNode> byStep = new HashMap<>();
        for (JsonNode s : run.path("steps")) {
            if (s.isObject() && s.path("id").isTextual()) {
                byStep.put(s.path("id").asText(), ((ObjectNode) s).putArray("metadata"));
            }
        }
        for (MetadataRecord m : all) {
            boolean onStep = !m.stepHash().isEmpty();
            ObjectNode o = Json.nodes().objectNode().put("scope", onStep ? "step" : "run");
            if (onStep) {
                o.put("step", m.stepHash()).put("step_id", m.stepId()).put("step_index", m.stepIndex()).put("step_attempt", m.attempt());
            }
            o.put("kind", m.kind()).set("values", m.values());
            o.put("updated_at", Views.time(m.updatedAt()));
            onRun.add(o);
            if (onStep) {
                ArrayNode a = byStep.get(m.stepHash());
                if (a != null) {
                    a.add(o.deepCopy());
                }
            }
        }
    }

    private static int intField(JsonNode target, String name, int absent) {
        JsonNode n = target.path(name);
        if (n.isMissingNode() || n.isNull()) {
            return absent;
        }
        if (!n.canConvertToInt() || !n.isIntegralNumber() || n.asInt() < (absent < 0 ? -1 : 0)) {
            throw bad("target." + name + " is a whole number of 0 or more; got " + oneLine(n));
        }
        return n.asInt();
    }

    private static ApiException bad(String line) {
        return ApiException.badRequest(line);
    }

    private static String oneLine(JsonNode n) {
        String s = n.isMissingNode() ? "nothing" : n.toString();
        return s.length() > 200 ? s.substring(0, 200) + "…" : s;
    }
}
