package dev.loomstep.test;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.protocol.Json;
import java.util.ArrayList;
import java.util.List;

/**
 * A run on the devserver, as its REST API ({@code GET /v1/runs/{id}}) shows it.
 *
 * @param raw the whole view: {@code run_id}, {@code status}, {@code output}, {@code error}, {@code steps}…
 */
public record DevRun(JsonNode raw) {
    public String runId() {
        return raw.path("run_id").asText();
    }

    /** {@code Running}, {@code Completed}, {@code Failed} or {@code Cancelled}. */
    public String status() {
        return raw.path("status").asText();
    }

    public JsonNode output() {
        return raw.path("output");
    }

    public <T> T output(Class<T> type) {
        return Json.mapper().convertValue(output(), type);
    }

    public JsonNode error() {
        return raw.path("error");
    }

    /**
     * The names of the steps that completed, in the order the devserver recorded them; a wait that ended by
     * its timeout (the devserver says {@code timed out}) is among them, since the run went on past it.
     */
    public List<String> completedSteps() {
        var out = new ArrayList<String>();
        for (JsonNode s : raw.path("steps")) {
            String status = s.path("status").asText();
            if (status.equals("completed") || status.equals("timed out")) {
                out.add(s.path("name").asText());
            }
        }
        return out;
    }

    @Override
    public String toString() {
        return raw.toPrettyString();
    }
}
