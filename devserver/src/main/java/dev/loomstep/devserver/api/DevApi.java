package dev.loomstep.devserver.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The REST API's operations with plain arguments instead of an HTTP exchange, for callers inside the
 * devserver that are not routes (the MCP tools). Each answers what its route answers, and refuses what
 * its route refuses with the same {@link ApiException} (its status and its one-line message).
 */
public final class DevApi {
    private final HttpApi api;
    private final RunRoutes runs;
    private final FunctionRoutes functions;
    private final AppRoutes apps;

    DevApi(HttpApi api, RunRoutes runs, FunctionRoutes functions, AppRoutes apps) {
        this.api = api;
        this.runs = runs;
        this.functions = functions;
        this.apps = apps;
    }

    /** {@code POST /e/{key}}: one event object or an array of them; answers {@code {ids, status}}. */
    public ObjectNode sendEvents(JsonNode events) {
        return api.send(events);
    }

    /**
     * {@code GET /v1/runs}: a page of runs, newest first, as {@code {data, next_cursor}}.
     *
     * @param status   null, or statuses (Running, Completed, Failed, Cancelled), comma-separated
     * @param function null, or function ids (composite or the app's own), comma-separated
     * @param cursor   null, or the {@code next_cursor} of the previous page
     * @param limit    1 to 10,000
     */
    public ObjectNode runs(String status, String function, String cursor, int limit) {
        if (limit < 1 || limit > 10_000) {
            throw ApiException.badRequest("limit must be between 1 and 10000, got " + limit);
        }
        return runs.list(status, function, null, null, null, cursor, limit);
    }

    /** {@code GET /v1/runs/{id}}: the run with its steps, as {@code {data}}. */
    public ObjectNode run(String runId) {
        return runs.get(runId);
    }

    /** {@code POST /v1/runs/{id}/cancel}: 409 when the run has already ended. */
    public ObjectNode cancel(String runId) {
        return runs.cancel(runId);
    }

    /** {@code POST /v1/runs/{id}/rerun}: {@code {data: {run_id, rerun_of}}}. */
    public ObjectNode rerun(String runId) {
        return runs.rerun(runId);
    }

    /** {@code POST /v1/runs/{id}/rerun} with {@code {"from_step": {"step_id": fromStep}}} (a plain rerun when null). */
    public ObjectNode rerun(String runId, String fromStep) {
        return runs.rerun(runId, fromStep, null);
    }

    /** {@code GET /v1/functions}. */
    public ObjectNode functions() {
        return functions.list();
    }

    /** {@code POST /v1/functions/{id}/invoke} with {@code {data, user}}: {@code {data: {event_id, run_id}}}. */
    public ObjectNode invoke(String functionId, JsonNode input) {
        return functions.invoke(functionId, input);
    }

    /** {@code GET /v1/apps}. */
    public ObjectNode apps() {
        return apps.list();
    }
}
