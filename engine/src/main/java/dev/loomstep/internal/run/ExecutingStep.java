package dev.loomstep.internal.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loomstep.protocol.Json;

/**
 * The step whose body runs on this thread, so that metadata set inside it for this run and attempt rides on
 * the step's op ({@code metadata: [{kind, scope, op, values}]}) instead of a request of its own, as the JS SDK
 * batches {@code inngest.metadata…set()} inside {@code step.run}. Public for {@code dev.loomstep.metadata} only.
 */
public final class ExecutingStep {
    private static final ThreadLocal<ExecutingStep> CURRENT = new ThreadLocal<>();

    private final String runId;
    private final String hashedId;
    private final int attempt;
    private ArrayNode metadata;

    ExecutingStep(String runId, String hashedId, int attempt) {
        this.runId = runId;
        this.hashedId = hashedId;
        this.attempt = attempt;
    }

    /** The step running on this thread, or null outside a step body. */
    public static ExecutingStep current() {
        return CURRENT.get();
    }

    public String runId() {
        return runId;
    }

    /** The step's hashed id (its repeat included). */
    public String hashedId() {
        return hashedId;
    }

    public int attempt() {
        return attempt;
    }

    /**
     * Batches one update onto the step's op: a second update of the same kind and scope replaces the first
     * (its op and values), as JS's {@code addMetadata} does.
     */
    public void add(String kind, String scope, String op, JsonNode values) {
        if (metadata == null) {
            metadata = Json.nodes().arrayNode();
        }
        for (JsonNode m : metadata) {
            if (kind.equals(m.path("kind").asText()) && scope.equals(m.path("scope").asText())) {
                ((ObjectNode) m).put("op", op).set("values", values);
                return;
            }
        }
        metadata.addObject().put("kind", kind).put("scope", scope).put("op", op).set("values", values);
    }

    /** Runs {@code body} as this step's; returns the metadata batched meanwhile (null when none). */
    <T> T run(java.util.concurrent.Callable<T> body) throws Exception {
        ExecutingStep outer = CURRENT.get();
        CURRENT.set(this);
        try {
            return body.call();
        } finally {
            if (outer == null) {
                CURRENT.remove();
            } else {
                CURRENT.set(outer);
            }
        }
    }

    /** The updates batched while the step ran, or null. */
    JsonNode metadata() {
        return metadata;
    }
}
