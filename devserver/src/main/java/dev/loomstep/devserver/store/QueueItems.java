package dev.loomstep.devserver.store;

import static dev.loomstep.devserver.store.Sql.json;

import com.fasterxml.jackson.databind.JsonNode;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;

/** Pending calls and timers, each with a due time. */
final class QueueItems {
    private final Sql sql;

    QueueItems(Sql sql) {
        this.sql = sql;
    }

    QueueItem insertItem(String runId, QueueItem.Kind kind, String stepId, int attempt, long dueAt, JsonNode payload)
            throws SQLException {
        sql.update("INSERT INTO queue(run_id, kind, step_id, attempt, due_at, payload) VALUES (?,?,?,?,?,?)",
                runId, kind.name(), stepId, attempt, dueAt, json(payload));
        long id = sql.queryFirst("SELECT last_insert_rowid() AS id", rs -> rs.getLong("id")).orElseThrow();
        return new QueueItem(id, runId, kind, stepId, attempt, dueAt, payload);
    }

    boolean deleteItem(long id) throws SQLException {
        return sql.update("DELETE FROM queue WHERE id = ?", id) == 1;
    }

    Optional<QueueItem> reschedule(QueueItem item, int attempt, long dueAt) throws SQLException {
        return sql.update("UPDATE queue SET attempt = ?, due_at = ? WHERE id = ?", attempt, dueAt, item.id()) == 1
                ? Optional.of(new QueueItem(item.id(), item.runId(), item.kind(), item.stepId(), attempt, dueAt, item.payload()))
                : Optional.empty();
    }

    List<QueueItem> items() throws SQLException {
        return sql.query("SELECT * FROM queue ORDER BY due_at, id", QueueItems::queueItem);
    }

    /**
     * Up to {@code limit} items other than STEP calls, in due order, strictly after {@code (dueAt, id)}
     * (the row value comparison walks {@code queue_by_due}, which holds the rowid as its second key).
     */
    List<QueueItem> timersAndDiscoveriesAfter(long dueAt, long id, int limit) throws SQLException {
        return sql.query("SELECT * FROM queue WHERE (due_at, id) > (?, ?) AND kind <> 'STEP' ORDER BY due_at, id LIMIT ?",
                QueueItems::queueItem, dueAt, id, limit);
    }

    List<QueueItem> items(QueueItem.Kind kind) throws SQLException {
        return sql.query("SELECT * FROM queue WHERE kind = ? ORDER BY due_at, id", QueueItems::queueItem, kind.name());
    }

    List<QueueItem> items(String runId, QueueItem.Kind kind) throws SQLException {
        return sql.query("SELECT * FROM queue WHERE run_id = ? AND kind = ? ORDER BY id", QueueItems::queueItem,
                runId, kind.name());
    }

    Optional<QueueItem> item(String runId, QueueItem.Kind kind, String stepId) throws SQLException {
        return sql.queryFirst("SELECT * FROM queue WHERE run_id = ? AND kind = ? AND step_id = ? ORDER BY id",
                QueueItems::queueItem, runId, kind.name(), stepId);
    }

    boolean itemExists(long id) throws SQLException {
        return sql.queryFirst("SELECT 1 AS x FROM queue WHERE id = ?", rs -> rs.getInt("x"), id).isPresent();
    }

    void deleteItems(String runId) throws SQLException {
        sql.update("DELETE FROM queue WHERE run_id = ?", runId);
    }

    List<QueueItem> deleteCronItems(String functionId) throws SQLException {
        var items = sql.query("SELECT * FROM queue WHERE kind = 'CRON' AND step_id = ?", QueueItems::queueItem, functionId);
        sql.update("DELETE FROM queue WHERE kind = 'CRON' AND step_id = ?", functionId);
        return items;
    }

    private static QueueItem queueItem(ResultSet rs) throws SQLException {
        return new QueueItem(rs.getLong("id"), rs.getString("run_id"), QueueItem.Kind.valueOf(rs.getString("kind")),
                rs.getString("step_id"), rs.getInt("attempt"), rs.getLong("due_at"), Sql.tree(rs.getString("payload")));
    }
}
