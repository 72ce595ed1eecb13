package dev.loomstep.devserver.api;

import static dev.loomstep.devserver.api.Rest.data;
import static dev.loomstep.devserver.api.Rest.param;
import static dev.loomstep.devserver.api.Rest.path;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loomstep.devserver.executor.Lifecycle;
import dev.loomstep.devserver.executor.Reruns;
import dev.loomstep.devserver.store.FunctionRecord;
import dev.loomstep.devserver.store.RunQuery;
import dev.loomstep.devserver.store.RunRecord;
import dev.loomstep.devserver.store.RunStatus;
import dev.loomstep.devserver.store.StepRecord;
import dev.loomstep.devserver.store.Store;
import dev.loomstep.protocol.Json;
import dev.loomstep.protocol.RunHistory;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.RoutingHandler;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** {@code /v1/runs}: list and search, one run with its trace, its history for the replay check, cancel, rerun; {@code /v0/runs} for SDKs in {@code use_api} mode. */
final class RunRoutes {
    private final Lifecycle lifecycle;
    private final Store store;
    private final RunView view;
    private final Reruns reruns;
    private final ExpressionSearch expressions;

    RunRoutes(Lifecycle lifecycle, RunView view) {
        this.lifecycle = lifecycle;
        this.store = lifecycle.store();
        this.view = view;
        this.reruns = new Reruns(lifecycle);
        this.expressions = new ExpressionSearch(store, view);
    }

    void addTo(RoutingHandler r, HttpApi api) {
        r.get("/v1/runs", api.blocking(this::list))
                .get("/v1/runs/{runId}", api.blocking(this::get))
                .get("/v1/runs/{runId}/history", api.blocking(this::history))
                .post("/v1/runs/{runId}/cancel", api.blocking(this::cancel))
                .post("/v1/runs/{runId}/rerun", api.blocking(this::rerun))
                .delete("/v1/runs/{runId}", api.blocking(this::cancel))
                .delete("/v0/runs/{runId}", api.blocking(this::cancel))
                .get("/v0/runs/{runId}/batch", api.blocking(this::batch))
                .get("/v0/runs/{runId}/actions", api.blocking(this::actions));
    }

    private Object list(HttpServerExchange ex, byte[] body) {
        String fn = param(ex, "function") != null ? param(ex, "function") : param(ex, "function_id");
        String field = param(ex, "time_field");
        RunQuery.TimeField timeField = field == null ? RunQuery.TimeField.STARTED : RunQuery.TimeField.parse(field);
        if (timeField == null) {
            throw ApiException.badRequest("time_field must be queued, started or ended; got \"" + field + "\"");
        }
        Boolean deferred = deferred(param(ex, "isDeferred"));
        String expression = param(ex, "expression");
        if (expression != null && !expression.isBlank()) {
            var search = ExpressionSearch.compile(expression);
            RunQuery q = lastQuery(param(ex, "status"), fn, Rest.time(ex, "from"), Rest.time(ex, "until"), param(ex, "search"), timeField,
                    deferred);
            RunQuery.Cursor after = null;
            if (param(ex, "cursor") != null) {
                String[] parts = Rest.parseCursor(param(ex, "cursor"));
                after = new RunQuery.Cursor(Long.parseLong(parts[0]), parts[1]);
            }
            ObjectNode page = expressions.page(new RunQuery(q.statuses(), q.functionIds(), q.from(), q.until(), q.search(), after,
                    Rest.limit(ex), timeField, deferred), search);
            if ("true".equals(param(ex, "count"))) {
                page.putNull("total"); // an expression is no index's: counting it would read every run
            }
            return page;
        }
        ObjectNode page = list(param(ex, "status"), fn, Rest.time(ex, "from"), Rest.time(ex, "until"), param(ex, "search"),
                param(ex, "cursor"), Rest.limit(ex), timeField, deferred);
        if ("true".equals(param(ex, "count"))) {
            page.put("total", store.countRuns(lastQuery(param(ex, "status"), fn, Rest.time(ex, "from"), Rest.time(ex, "until"),
                    param(ex, "search"), timeField, deferred)));
        }
        return page;
    }

    private RunQuery lastQuery(String s, String fn, Long from, Long until, String search, RunQuery.TimeField timeField,
                               Boolean deferred) {
        return new RunQuery(statuses(s), fn == null ? null : functionIds(fn), from, until, search, null, 1, timeField, deferred);
    }

    /** Inngest's {@code isDeferred} filter: true, only runs another run deferred; false, none of them; absent, all. */
    private static Boolean deferred(String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        return switch (value.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw ApiException.badRequest("isDeferred must be true or false; got \"" + value.trim() + "\"");
        };
    }

    /** As {@link #list(String, String, Long, Long, String, String, int, RunQuery.TimeField, Boolean)}, deferred runs included. */
    ObjectNode list(String s, String fn, Long from, Long until, String search, String c, int limit) {
        return list(s, fn, from, until, search, c, limit, RunQuery.TimeField.STARTED, null);
    }

    private static List<RunStatus> statuses(String s) {
        List<RunStatus> statuses = new ArrayList<>();
        if (s != null) {
            for (String one : s.split(",")) {
                RunStatus st = RunStatus.parse(one.trim());
                if (st == null) {
                    throw ApiException.badRequest("status must be one of Running, Completed, Failed, Cancelled (or several,"
                            + " comma-separated); got \"" + one.trim() + "\"");
                }
                statuses.add(st);
            }
        }
        return statuses;
    }

    /**
     * A page of runs, newest first; every filter may be null. {@code status} and {@code fn} may list several,
     * comma-separated; the time range bounds {@code timeField}; {@code deferred} as {@link RunQuery#deferred()}.
     */
    ObjectNode list(String s, String fn, Long from, Long until, String search, String c, int limit, RunQuery.TimeField timeField,
                    Boolean deferred) {
        List<RunStatus> statuses = statuses(s);
        if (from != null && until != null && from >= until) {
            throw ApiException.badRequest("from must be before until");
        }
        RunQuery.Cursor after = null;
        if (c != null) {
            String[] parts = Rest.parseCursor(c);
            after = new RunQuery.Cursor(Long.parseLong(parts[0]), parts[1]);
        }
        List<RunRecord> runs = store.runs(new RunQuery(statuses, fn == null ? null : functionIds(fn), from, until,
                search, after, limit + 1, timeField, deferred));
        ArrayNode a = Json.nodes().arrayNode();
        runs.stream().limit(limit).forEach(r -> a.add(view.row(r)));
        String next = null;
        if (runs.size() > limit) {
            RunRecord last = runs.get(limit - 1);
            next = Rest.cursor(RunQuery.sortTime(last), last.id());
        }
        return Rest.page(a, next);
    }

    /**
     * The functions a {@code function} filter names: each comma-separated value is a composite id
     * ({@code shop-process-order}) or a function's own id within its app ({@code process-order}).
     * A value that names no synced function is kept as it is, so runs of a removed function stay findable.
     */
    private List<String> functionIds(String filter) {
        Set<String> ids = new LinkedHashSet<>();
        for (String v : filter.split(",")) {
            String want = v.trim();
            boolean found = false;
            for (FunctionRecord f : lifecycle.registry().functions()) {
                if (f.id().equals(want) || f.id().equals(f.appId() + "-" + want)) {
                    ids.add(f.id());
                    found = true;
                }
            }
            if (!found) {
                ids.add(want);
            }
        }
        return List.copyOf(ids);
    }

    private RunRecord run(HttpServerExchange ex) {
        return run(path(ex, "runId"));
    }

    private RunRecord run(String id) {
        return store.run(id).orElseThrow(() -> ApiException.notFound("no run with id \"" + id + "\""));
    }

    private Object get(HttpServerExchange ex, byte[] body) {
        return get(path(ex, "runId"));
    }

    /** The run with its steps, as {@code GET /v1/runs/{id}} answers it. */
    ObjectNode get(String runId) {
        return data(view.full(run(runId)));
    }

    /** The run as a {@link RunHistory} file for the replay check (loomstep-test's {@code Replayer}), bare, not in {@code data}. */
    private Object history(HttpServerExchange ex, byte[] body) {
        RunRecord r = run(ex);
        ex.getResponseHeaders().put(io.undertow.util.Headers.CONTENT_DISPOSITION,
                "attachment; filename=\"run-" + r.id().replaceAll("[^A-Za-z0-9_-]", "_") + "-history.json\"");
        return Json.toTree(RunHistories.of(r, store.steps(r.id())));
    }

    private Object cancel(HttpServerExchange ex, byte[] body) {
        return cancel(path(ex, "runId"));
    }

    /** Cancels a running run (409 for an ended one) and answers it as it is then. */
    ObjectNode cancel(String runId) {
        RunRecord r = run(runId);
        // Every ended run answers 409 alike, a cancelled one included: a second cancel changed nothing.
        if (r.status() != RunStatus.Running) {
            throw new ApiException(409, "run \"" + r.id() + "\" already ended as " + r.status() + "; only running runs can be cancelled");
        }
        lifecycle.cancel(r.id(), "cancelled through the REST API");
        return data(view.full(store.run(r.id()).orElse(r)));
    }

    /**
     * A new run of the same function with the same events (through flow control, like a new event). An optional
     * body {@code {"from_step": {"step_id": "...", "input": [...]}}} reruns from that step: the steps before it are reused.
     */
    private Object rerun(HttpServerExchange ex, byte[] body) {
        String fromStep = null;
        JsonNode input = null;
        if (body.length > 0) {
            JsonNode in = Rest.parseJson(body, "rerun");
            JsonNode from = in.isObject() ? in.get("from_step") : null;
            if (!in.isObject() || (from != null && !from.isNull() && !from.isObject())) {
                throw ApiException.badRequest("rerun: expected {} or {\"from_step\": {\"step_id\": \"...\", \"input\": [...]}}");
            }
            if (from != null && !from.isNull()) {
                JsonNode id = from.get("step_id");
                if (id == null || !id.isTextual() || id.asText().isBlank()) {
                    throw ApiException.badRequest("rerun: from_step.step_id must be a step's id or name");
                }
                fromStep = id.asText();
                input = from.get("input");
                if (input != null && input.isNull()) {
                    input = null;
                }
                if (input != null && !input.isArray()) {
                    throw ApiException.badRequest("rerun: from_step.input must be a JSON array (the step's arguments), got "
                            + input.getNodeType());
                }
            }
        }
        return rerun(path(ex, "runId"), fromStep, input);
    }

    /** A new run of the run's function with its events: {@code {run_id, rerun_of}}. */
    ObjectNode rerun(String runId) {
        return rerun(runId, null, null);
    }

    /** As {@link #rerun(String)}, from a step (its id or name) when {@code fromStep} is set, that step with {@code input} when set. */
    ObjectNode rerun(String runId, String fromStep, JsonNode input) {
        RunRecord r = run(runId);
        FunctionRecord fn = lifecycle.registry().function(r.functionId());
        if (fn == null) {
            throw new ApiException(409, "function \"" + r.functionId() + "\" of run \"" + r.id()
                    + "\" is no longer synced by any app; sync its app to rerun it");
        }
        String newRun;
        try {
            newRun = reruns.rerun(fn, r, fromStep, input).orElse(null);
        } catch (Reruns.BadStep e) {
            throw ApiException.badRequest("rerun: " + e.getMessage());
        }
        ObjectNode o = Json.nodes().objectNode();
        o.put("run_id", newRun);
        o.put("rerun_of", r.id());
        o.put("from_step", fromStep);
        if (newRun == null) {
            o.put("message", "flow control started no run now (rate limit, idempotency, singleton, debounce or batch);"
                    + " see the devserver's log");
        }
        return data(o);
    }

    private Object batch(HttpServerExchange ex, byte[] body) {
        return Json.toTree(run(ex).events());
    }

    private Object actions(HttpServerExchange ex, byte[] body) {
        ObjectNode o = Json.nodes().objectNode();
        for (StepRecord s : store.steps(run(ex).id())) {
            if (s.memoized()) {
                o.set(s.id(), s.memo() == null ? Json.nodes().nullNode() : s.memo());
            }
        }
        return o;
    }
}
