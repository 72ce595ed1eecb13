package dev.loomstep.devserver.store;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;

/** Runs paused in a waitForEvent or an invoke, until an event or their expiry resumes them. */
final class Pauses {
    private final Sql sql;

    Pauses(Sql sql) {
        this.sql = sql;
    }

    void insertPause(PauseRecord p) throws SQLException {
        sql.update("""
                INSERT OR IGNORE INTO pauses(run_id, step_id, kind, event_name, expression, match, expires_at, created_at)
                VALUES (?,?,?,?,?,?,?,?)""",
                p.runId(), p.stepId(), p.kind(), p.eventName(), p.expression(), p.match(), p.expiresAt(), p.createdAt());
    }

    Optional<PauseRecord> pause(String runId, String stepId) throws SQLException {
        return sql.queryFirst("SELECT * FROM pauses WHERE run_id = ? AND step_id = ?", Pauses::pauseRecord, runId, stepId);
    }

    boolean deletePause(String runId, String stepId) throws SQLException {
        return sql.update("DELETE FROM pauses WHERE run_id = ? AND step_id = ?", runId, stepId) == 1;
    }

    List<PauseRecord> waitPausesFor(String eventName) throws SQLException {
        return sql.query("SELECT * FROM pauses WHERE kind = 'wait' AND event_name = ? ORDER BY created_at, run_id",
                Pauses::pauseRecord, eventName);
    }

    /** The run waiting for {@code signal}; at most one holds a signal name. */
    Optional<PauseRecord> signalPause(String signal) throws SQLException {
        return sql.queryFirst("SELECT * FROM pauses WHERE kind = 'signal' AND event_name = ?", Pauses::pauseRecord, signal);
    }

    /** Takes {@code signal} from the run waiting for it, which then only times out (a wait that replaces it). */
    void releaseSignal(String signal) throws SQLException {
        sql.update("UPDATE pauses SET event_name = NULL WHERE kind = 'signal' AND event_name = ?", signal);
    }

    void deletePauses(String runId) throws SQLException {
        sql.update("DELETE FROM pauses WHERE run_id = ?", runId);
    }

    private static PauseRecord pauseRecord(ResultSet rs) throws SQLException {
        return new PauseRecord(rs.getString("run_id"), rs.getString("step_id"), rs.getString("kind"),
                rs.getString("event_name"), rs.getString("expression"), rs.getString("match"),
                rs.getLong("expires_at"), rs.getLong("created_at"));
    }
}
