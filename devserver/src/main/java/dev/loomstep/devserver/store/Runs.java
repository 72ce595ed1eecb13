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
        return sql.query("SELECT * FROM runs WHERE event_id = ? ORDER BY created_at, id", Runs::runRecord, eventId);
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

    /** A page of runs (see {@link RunQuery}), newest first by {@link RunQuery#sortTime}. */
    List<RunRecord> runs(RunQuery q) throws SQLException {
        var text = new StringBuilder("SELECT * FROM runs WHERE 1=1");
        var args = new ArrayList<Object>();
        String at = "COALESCE(started_at, created_at)";
        if (q.statuses() != null && !q.statuses().isEmpty()) {
            text.append(" AND status IN (").append("?,".repeat(q.statuses().size() - 1)).append("?)");
            q.statuses().forEach(st -> args.add(st.name()));
        }
        if (q.functionIds() != null && !q.functionIds().isEmpty()) {
            text.append(" AND function_id IN (").append("?,".repeat(q.functionIds().size() - 1)).append("?)");
            args.addAll(q.functionIds());
        }
        if (q.from() != null) {
            text.append(" AND ").append(at).append(" >= ?");
            args.add(q.from());
        }
        if (q.until() != null) {
            text.append(" AND ").append(at).append(" < ?");
            args.add(q.until());
        }
        if (q.search() != null) {
            text.append(" AND (id = ? OR event_id = ? OR events LIKE ? ESCAPE '\\')");
            args.add(q.search());
            args.add(q.search());
            // a batched run lists every event id in its events (the first is event_id)
            args.add("%\"id\":\"" + Sql.likePrefix(q.search()) + "\"%");
        }
        if (q.after() != null) {
            text.append(" AND (").append(at).append(" < ? OR (").append(at).append(" = ? AND id < ?))");
            args.add(q.after().at());
            args.add(q.after().at());
            args.add(q.after().runId());
        }
        text.append(" ORDER BY ").append(at).append(" DESC, id DESC LIMIT ?");
        args.add(q.limit());
        return sql.query(text.toString(), Runs::runRecord, args.toArray());
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
