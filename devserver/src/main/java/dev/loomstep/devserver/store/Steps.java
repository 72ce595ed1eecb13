package dev.loomstep.devserver.store;

import static dev.loomstep.devserver.store.Sql.json;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.protocol.Json;
import dev.loomstep.protocol.WireError;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A run's steps: memoized outputs in stack order, and what is known of the others. */
final class Steps {
    private final Sql sql;

    Steps(Sql sql) {
        this.sql = sql;
    }

    List<StepRecord> steps(String runId) throws SQLException {
        return sql.query("""
                SELECT * FROM steps WHERE run_id = ?
                ORDER BY seq IS NULL, seq, started_at IS NULL, started_at, id""", Steps::stepRecord, runId);
    }

    Optional<StepRecord> step(String runId, String stepId) throws SQLException {
        return sql.queryFirst("SELECT * FROM steps WHERE run_id = ? AND id = ?", Steps::stepRecord, runId, stepId);
    }

    void noteStep(String runId, String stepId, String name, String op, String status, int attempts,
                  WireError error, long startedAt) throws SQLException {
        sql.update("""
                INSERT INTO steps(run_id, id, name, op, status, error, attempts, started_at) VALUES (?,?,?,?,?,?,?,?)
                ON CONFLICT(run_id, id) DO UPDATE SET
                  name = COALESCE(excluded.name, steps.name), op = COALESCE(excluded.op, steps.op),
                  status = excluded.status, error = COALESCE(excluded.error, steps.error),
                  attempts = MAX(steps.attempts, excluded.attempts),
                  started_at = COALESCE(steps.started_at, excluded.started_at)
                WHERE steps.seq IS NULL""",
                runId, stepId, name, op, status, json(error), attempts, startedAt);
    }

    /** A step that has not run yet, with the input it is to run with: {@code memo} {@code {"input": [...]}}, no place in the stack. */
    void noteInput(String runId, String stepId, String name, String op, JsonNode input) throws SQLException {
        var memo = Json.nodes().objectNode();
        memo.set("input", input);
        sql.update("""
                INSERT INTO steps(run_id, id, name, op, status, memo, attempts) VALUES (?,?,?,?,'planned',?,0)
                ON CONFLICT(run_id, id) DO UPDATE SET memo = excluded.memo WHERE steps.seq IS NULL""",
                runId, stepId, name, op, Json.toString(memo));
    }

    /** Memoizes a step at the place {@code %s} gives; does nothing to a step already memoized. */
    private static final String MEMOIZE = """
            INSERT INTO steps(run_id, id, name, op, status, memo, error, seq, attempts, started_at, ended_at)
            VALUES (?,?,?,?,?,?,?,%s,?,?,?)
            ON CONFLICT(run_id, id) DO UPDATE SET
              name = COALESCE(excluded.name, steps.name), op = COALESCE(excluded.op, steps.op),
              status = excluded.status, memo = excluded.memo, error = COALESCE(excluded.error, steps.error),
              seq = excluded.seq, attempts = MAX(steps.attempts, excluded.attempts),
              started_at = COALESCE(steps.started_at, excluded.started_at), ended_at = excluded.ended_at
            WHERE steps.seq IS NULL""";
    /** The place in a run's stack its next memoized step takes. */
    private static final String NEXT_SEQ = "SELECT COALESCE(MAX(seq), -1) + 1 FROM steps WHERE run_id = ?";
    private static final String MEMOIZE_NEXT = MEMOIZE.formatted("(" + NEXT_SEQ + ")");
    private static final String MEMOIZE_AT = MEMOIZE.formatted("?");

    /**
     * Memoizes a step after the run's last memoized one; false (and nothing changed) when it is memoized
     * already. One statement: the memoized check and the next place in the stack are taken inside the
     * insert itself (the place from the {@code (run_id, seq)} index) instead of a read of the row and of
     * the stack before it.
     */
    boolean memoize(String runId, String stepId, String name, String op, String status, JsonNode memo,
                    WireError error, int attempts, long startedAt, long endedAt) throws SQLException {
        return sql.update(MEMOIZE_NEXT, runId, stepId, name, op, status, memoText(memo), json(error), runId,
                attempts, startedAt, endedAt) > 0;
    }

    /**
     * Memoizes a step at place {@code seq} of the run's stack, which the caller took from {@link #nextSeq}
     * in the same unit and advances for each step this returns true for: a checkpoint of hundreds of steps
     * (a fan-out's) then looks the stack's end up once instead of once a step.
     */
    boolean memoizeAt(String runId, long seq, String stepId, String name, String op, String status, JsonNode memo,
                      WireError error, int attempts, long startedAt, long endedAt) throws SQLException {
        return sql.update(MEMOIZE_AT, runId, stepId, name, op, status, memoText(memo), json(error), seq,
                attempts, startedAt, endedAt) > 0;
    }

    /** The place in the run's stack the next memoized step takes. */
    long nextSeq(String runId) throws SQLException {
        return sql.queryFirst(NEXT_SEQ, rs -> rs.getLong(1), runId).orElse(0L);
    }

    private static String memoText(JsonNode memo) {
        return Json.toString(memo == null ? Json.nodes().nullNode() : memo);
    }

    /** Saves what the UI shows of a step beyond its memo (replacing what was saved before). */
    void noteStepDetail(String runId, String stepId, JsonNode detail) throws SQLException {
        sql.update("INSERT OR REPLACE INTO step_details(run_id, step_id, detail) VALUES (?,?,?)",
                runId, stepId, Json.toString(detail));
    }

    /** The saved details of a run's steps, by step id. */
    Map<String, JsonNode> stepDetails(String runId) throws SQLException {
        var out = new HashMap<String, JsonNode>();
        for (var row : sql.query("SELECT step_id, detail FROM step_details WHERE run_id = ?",
                rs -> Map.entry(rs.getString("step_id"), Sql.tree(rs.getString("detail"))), runId)) {
            out.put(row.getKey(), row.getValue());
        }
        return out;
    }

    /** Records a failed attempt of a step (the same attempt twice keeps the first). */
    void noteAttempt(AttemptRecord a) throws SQLException {
        sql.update("INSERT OR IGNORE INTO step_attempts(run_id, step_id, attempt, at, error, retry_at) VALUES (?,?,?,?,?,?)",
                a.runId(), a.stepId(), a.attempt(), a.at(), json(a.error()), a.retryAt());
    }

    /** The failed attempts of a run's steps, each step's in order. */
    List<AttemptRecord> attempts(String runId) throws SQLException {
        return sql.query("SELECT * FROM step_attempts WHERE run_id = ? ORDER BY step_id, attempt",
                rs -> new AttemptRecord(rs.getString("run_id"), rs.getString("step_id"), rs.getInt("attempt"),
                        rs.getLong("at"), Sql.read(rs.getString("error"), WireError.class), Sql.nullableLong(rs, "retry_at")),
                runId);
    }

    private static StepRecord stepRecord(ResultSet rs) throws SQLException {
        int seq = rs.getInt("seq");
        Integer seqOrNull = rs.wasNull() ? null : seq;
        return new StepRecord(rs.getString("run_id"), rs.getString("id"), rs.getString("name"), rs.getString("op"),
                rs.getString("status"), Sql.tree(rs.getString("memo")), Sql.read(rs.getString("error"), WireError.class),
                seqOrNull, rs.getInt("attempts"), Sql.nullableLong(rs, "started_at"), Sql.nullableLong(rs, "ended_at"));
    }
}
