package dev.loomstep.devserver.store;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;

/** The runs each run deferred ({@link DeferRecord}), one row per (run, hashed id). */
final class Defers {
    private final Sql sql;

    Defers(Sql sql) {
        this.sql = sql;
    }

    Optional<DeferRecord> find(String runId, String hashedId) throws SQLException {
        return sql.queryFirst("SELECT * FROM run_defers WHERE run_id = ? AND hashed_id = ?", Defers::row, runId, hashedId);
    }

    /** How many defers the run holds that were not rejected, and the bytes of their data. */
    long[] accepted(String runId) throws SQLException {
        return sql.queryFirst("SELECT COUNT(*), COALESCE(SUM(size), 0) FROM run_defers WHERE run_id = ? AND status <> ?",
                rs -> new long[] {rs.getLong(1), rs.getLong(2)}, runId, DeferRecord.REJECTED).orElse(new long[2]);
    }

    void insert(DeferRecord d) throws SQLException {
        sql.update("INSERT OR IGNORE INTO run_defers(run_id, hashed_id, userland_id, fn_slug, input, size, status, reason, event_id,"
                + " created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)", d.runId(), d.hashedId(), d.userlandId(), d.fnSlug(),
                d.input() == null ? null : Sql.json(d.input()), d.size(), d.status(), d.reason(), d.eventId(), d.createdAt(), d.updatedAt());
    }

    /** Moves a defer from status {@code from} to {@code to}; false when it is not in {@code from}. */
    boolean move(String runId, String hashedId, String from, String to, String eventId, long now) throws SQLException {
        return sql.update("UPDATE run_defers SET status = ?, event_id = COALESCE(?, event_id), updated_at = ?"
                + " WHERE run_id = ? AND hashed_id = ? AND status = ?", to, eventId, now, runId, hashedId, from) > 0;
    }

    List<DeferRecord> of(String runId) throws SQLException {
        return sql.query("SELECT * FROM run_defers WHERE run_id = ? ORDER BY created_at, hashed_id", Defers::row, runId);
    }

    private static DeferRecord row(ResultSet rs) throws SQLException {
        return new DeferRecord(rs.getString("run_id"), rs.getString("hashed_id"), rs.getString("userland_id"), rs.getString("fn_slug"),
                Sql.tree(rs.getString("input")), rs.getLong("size"), rs.getString("status"), rs.getString("reason"),
                rs.getString("event_id"), rs.getLong("created_at"), rs.getLong("updated_at"));
    }
}
