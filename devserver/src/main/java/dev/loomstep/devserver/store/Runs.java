package dev.loomstep.devserver.store;

import static dev.loomstep.devserver.store.Sql.json;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Event;
import dev.loomstep.protocol.Json;
import dev.loomstep.protocol.WireError;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Runs: their trigger, status, output or error, and the per-run protocol state. */
final class Runs {
    private static final TypeReference<List<Event>> EVENT_LIST = new TypeReference<>() {};

    private final Sql sql;

    Runs(Sql sql) {
        this.sql = sql;
    }

    void insertRun(RunRecord r) throws SQLException {
        sql.update("""
                INSERT INTO runs(id, function_id, event_id, events, status, output, error, created_at, started_at,
                  ended_at, disable_immediate, request_version, invoker) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)""",
                r.id(), r.functionId(), r.eventId(), Json.toString(r.events()), r.status().name(),
                json(r.output()), json(r.error()), r.createdAt(), r.startedAt(), r.endedAt(),
                r.disableImmediate() ? 1 : 0, r.requestVersion(), r.invoker());
        // a batch's other events find their run by index (runsForEvent, the runs list's search)
        for (int i = 1; i < r.events().size(); i++) {
            String eventId = r.events().get(i).id();
            if (eventId != null) {
                sql.update("INSERT OR IGNORE INTO run_events(event_id, run_id) VALUES (?,?)", eventId, r.id());
            }
        }
    }

    /** Marks {@code runId} as started by Rerun of {@code original}. */
    void noteRerun(String runId, String original) throws SQLException {
        sql.update("INSERT OR REPLACE INTO run_reruns(run_id, rerun_of) VALUES (?,?)", runId, original);
    }

    /** The run {@code runId} is a rerun of, if Rerun started it. */
    Optional<String> rerunOf(String runId) throws SQLException {
        return sql.queryFirst("SELECT rerun_of FROM run_reruns WHERE run_id = ?", rs -> rs.getString(1), runId);
    }

    /** The runs Rerun started from {@code runId}, oldest first. */
    List<String> reruns(String runId) throws SQLException {
        return sql.query("SELECT run_id FROM run_reruns WHERE rerun_of = ? ORDER BY run_id", rs -> rs.getString(1), runId);
    }

    Optional<RunRecord> run(String id) throws SQLException {
        return sql.queryFirst("SELECT * FROM runs WHERE id = ?", Runs::runRecord, id);
    }

    /** How many runs are in each status; a scan, for the store's opening only. */
    java.util.Map<RunStatus, Long> countByStatus() throws SQLException {
        var out = new java.util.EnumMap<RunStatus, Long>(RunStatus.class);
        for (var row : sql.query("SELECT status, COUNT(*) FROM runs GROUP BY status",
                rs -> java.util.Map.entry(RunStatus.valueOf(rs.getString(1)), rs.getLong(2)))) {
            out.put(row.getKey(), row.getValue());
        }
        return out;
    }

    /** The status alone: no events or output to decode. */
    Optional<RunStatus> status(String id) throws SQLException {
        return sql.queryFirst("SELECT status FROM runs WHERE id = ?", rs -> RunStatus.valueOf(rs.getString(1)), id);
    }

    List<RunRecord> runs(RunStatus status, String functionId, int limit) throws SQLException {
        var text = new StringBuilder("SELECT * FROM runs WHERE 1=1");
        var args = new ArrayList<Object>();
        if (status != null) {
            text.append(" AND status = ?");
            args.add(status.name());
        }
        if (functionId != null) {
            text.append(" AND function_id = ?");
            args.add(functionId);
        }
        text.append(" ORDER BY created_at DESC, id DESC LIMIT ?");
        args.add(limit);
        return sql.query(text.toString(), Runs::runRecord, args.toArray());
    }

    List<RunRecord> runsForEvent(String eventId) throws SQLException {
        return sql.query("""
                SELECT * FROM runs WHERE event_id = ? OR id IN (SELECT run_id FROM run_events WHERE event_id = ?)
                ORDER BY created_at, id""", Runs::runRecord, eventId, eventId);
    }

    void markStarted(String runId, long at) throws SQLException {
        sql.update("UPDATE runs SET started_at = ? WHERE id = ? AND started_at IS NULL", at, runId);
    }

    void setDisableImmediate(String runId) throws SQLException {
        sql.update("UPDATE runs SET disable_immediate = 1 WHERE id = ?", runId);
    }

    void setRequestVersion(String runId, int version) throws SQLException {
        sql.update("UPDATE runs SET request_version = ? WHERE id = ?", version, runId);
    }

    boolean finishRun(String runId, RunStatus status, JsonNode output, WireError error, long at) throws SQLException {
        return sql.update("UPDATE runs SET status = ?, output = ?, error = ?, ended_at = ? WHERE id = ? AND status = 'Running'",
                status.name(), json(output), json(error), at, runId) == 1;
    }

    /**
     * A page of runs (see {@link RunQuery}), newest first by {@link RunQuery#sortTime}. Each (status,
     * function) pair the filters name is read on its own from an index whose equality prefix it is and whose
     * order is the list's (runs_by_start, runs_by_status_start, runs_by_function_status_start), so every part
     * reads at most a page of rows whatever the database holds; the parts are merged here. A function filter
     * alone reads one part per status. A search names at most a few runs, found by their keys.
     */
    List<RunRecord> runs(RunQuery q) throws SQLException {
        List<String> statuses = new ArrayList<>();
        if (q.statuses() != null) {
            q.statuses().forEach(st -> statuses.add(st.name()));
        }
        List<String> functions = q.functionIds() == null ? List.of() : q.functionIds();
        if (q.search() != null || (statuses.isEmpty() && functions.isEmpty())) {
            return runsPage(statuses, functions, q);
        }
        if (statuses.isEmpty()) {
            for (RunStatus st : RunStatus.values()) {
                statuses.add(st.name());
            }
        }
        if (statuses.size() * Math.max(1, functions.size()) == 1) {
            return runsPage(statuses, functions, q);
        }
        // Several parts: their keys first (from the indexes alone), merged; then the page's rows by id.
        List<RunQuery.Cursor> keys = new ArrayList<>();
        for (String st : statuses) {
            for (String fn : functions.isEmpty() ? java.util.Collections.<String>singletonList(null) : functions) {
                List<String> fns = fn == null ? List.of() : List.of(fn);
                keys.addAll(sql.query(runsSql(List.of(st), fns, q, "COALESCE(started_at, created_at) AS at, id"),
                        rs -> new RunQuery.Cursor(rs.getLong("at"), rs.getString("id")), runsArgs(List.of(st), fns, q).toArray()));
            }
        }
        keys.sort(java.util.Comparator.comparingLong(RunQuery.Cursor::at).thenComparing(RunQuery.Cursor::runId).reversed());
        List<String> ids = keys.stream().limit(q.limit()).map(RunQuery.Cursor::runId).toList();
        if (ids.isEmpty()) {
            return List.of();
        }
        var byId = new java.util.HashMap<String, RunRecord>();
        for (RunRecord r : sql.query("SELECT * FROM runs WHERE id IN (" + "?,".repeat(ids.size() - 1) + "?)", Runs::runRecord,
                ids.toArray())) {
            byId.put(r.id(), r);
        }
        return ids.stream().map(byId::get).filter(java.util.Objects::nonNull).toList();
    }

    /**
     * How many runs match the query (its cursor and limit ignored): one count per (status, function) part,
     * each from the same index as its page, so the count reads index entries only, never a run's row.
     */
    long count(RunQuery q) throws SQLException {
        RunQuery all = new RunQuery(q.statuses(), q.functionIds(), q.from(), q.until(), q.search(), null, Integer.MAX_VALUE, q.timeField(), q.deferred());
        List<String> statuses = new ArrayList<>();
        if (q.statuses() != null) {
            q.statuses().forEach(st -> statuses.add(st.name()));
        }
        List<String> functions = q.functionIds() == null ? List.of() : q.functionIds();
        if (q.search() != null || (statuses.isEmpty() && functions.isEmpty())) {
            return countPart(statuses, functions, all);
        }
        if (statuses.isEmpty()) {
            for (RunStatus st : RunStatus.values()) {
                statuses.add(st.name());
            }
        }
        long n = 0;
        for (String st : statuses) {
            for (String fn : functions.isEmpty() ? java.util.Collections.<String>singletonList(null) : functions) {
                n += countPart(List.of(st), fn == null ? List.of() : List.of(fn), all);
            }
        }
        return n;
    }

    private long countPart(List<String> statuses, List<String> functionIds, RunQuery q) throws SQLException {
        String text = "SELECT COUNT(*) FROM (" + runsSql(statuses, functionIds, q, "id") + ")";
        return sql.queryFirst(text, rs -> rs.getLong(1), runsArgs(statuses, functionIds, q).toArray()).orElse(0L);
    }

    /** One query of {@link #runs(RunQuery)}: these statuses and functions (none: any), the rest of the query's filters. */
    private List<RunRecord> runsPage(List<String> statuses, List<String> functionIds, RunQuery q) throws SQLException {
        return sql.query(runsSql(statuses, functionIds, q, "*"), Runs::runRecord, runsArgs(statuses, functionIds, q).toArray());
    }

    /** The SQL of one query of {@link #runs(RunQuery)} selecting {@code columns}; for the plan checks of tests too. */
    static String runsSql(List<String> statuses, List<String> functionIds, RunQuery q, String columns) {
        // Named, not left to the planner: without statistics it takes a time range on the status index over
        // the function's, whose equality prefix is longer.
        String index = q.search() != null ? "" : !functionIds.isEmpty() && statuses.size() == 1 && functionIds.size() == 1
                ? " INDEXED BY runs_by_function_status_start" : functionIds.isEmpty() && statuses.size() == 1
                ? " INDEXED BY runs_by_status_start" : statuses.isEmpty() && functionIds.isEmpty() ? " INDEXED BY runs_by_start" : "";
        var text = new StringBuilder("SELECT ").append(columns).append(" FROM runs").append(index).append(" WHERE 1=1");
        String at = "COALESCE(started_at, created_at)";
        if (!statuses.isEmpty()) {
            text.append(" AND status IN (").append("?,".repeat(statuses.size() - 1)).append("?)");
        }
        if (!functionIds.isEmpty()) {
            text.append(" AND function_id IN (").append("?,".repeat(functionIds.size() - 1)).append("?)");
        }
        String field = q.timeField().column;
        if (q.from() != null) {
            text.append(" AND ").append(field).append(" >= ?");
        }
        if (q.until() != null) {
            text.append(" AND ").append(field).append(" < ?");
        }
        // What another time's range says of the start, so the index's range still bounds the read: a run
        // starts after it was queued and ends after it started.
        if (q.from() != null && q.timeField() == RunQuery.TimeField.QUEUED) {
            text.append(" AND ").append(at).append(" >= ?");
        }
        if (q.until() != null && q.timeField() == RunQuery.TimeField.ENDED) {
            text.append(" AND ").append(at).append(" < ?");
        }
        if (q.search() != null) {
            // the run itself, the run its event started, or a batch that holds the event
            text.append(" AND id IN (SELECT ? UNION ALL SELECT id FROM runs WHERE event_id = ?"
                    + " UNION ALL SELECT run_id FROM run_events WHERE event_id = ?)");
        }
        if (q.deferred() != null) {
            // a deferred run is one an inngest/deferred.schedule event started: its event is found by key
            text.append(q.deferred() ? " AND" : " AND NOT").append(" EXISTS (SELECT 1 FROM events e WHERE e.id = runs.event_id"
                    + " AND e.name = 'inngest/deferred.schedule')");
        }
        if (q.after() != null) {
            text.append(" AND (").append(at).append(" < ? OR (").append(at).append(" = ? AND id < ?))");
        }
        text.append(" ORDER BY ").append(at).append(" DESC, id DESC LIMIT ?");
        return text.toString();
    }

    static List<Object> runsArgs(List<String> statuses, List<String> functionIds, RunQuery q) {
        var args = new ArrayList<Object>(statuses);
        args.addAll(functionIds);
        if (q.from() != null) {
            args.add(q.from());
        }
        if (q.until() != null) {
            args.add(q.until());
        }
        if (q.from() != null && q.timeField() == RunQuery.TimeField.QUEUED) {
            args.add(q.from());
        }
        if (q.until() != null && q.timeField() == RunQuery.TimeField.ENDED) {
            args.add(q.until());
        }
        if (q.search() != null) {
            args.add(q.search());
            args.add(q.search());
            args.add(q.search());
        }
        if (q.after() != null) {
            args.add(q.after().at());
            args.add(q.after().at());
            args.add(q.after().runId());
        }
        args.add(q.limit());
        return args;
    }

    /** The runs a run started with {@code step.invoke}, oldest first. */
    List<RunRecord> invokedBy(String runId) throws SQLException {
        return sql.query("SELECT * FROM runs WHERE invoker >= ? AND invoker < ? ORDER BY created_at, id",
                Runs::runRecord, runId + ".", runId + "/");
    }

    private static RunRecord runRecord(ResultSet rs) throws SQLException {
        return new RunRecord(
                rs.getString("id"), rs.getString("function_id"), rs.getString("event_id"),
                Sql.read(rs.getString("events"), EVENT_LIST), RunStatus.valueOf(rs.getString("status")),
                Sql.tree(rs.getString("output")), Sql.read(rs.getString("error"), WireError.class),
                rs.getLong("created_at"), Sql.nullableLong(rs, "started_at"), Sql.nullableLong(rs, "ended_at"),
                rs.getInt("disable_immediate") != 0, rs.getInt("request_version"), rs.getString("invoker"));
    }
}
