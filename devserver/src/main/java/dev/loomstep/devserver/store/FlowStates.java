package dev.loomstep.devserver.store;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;

/** Flow control's durable state: held events (debounces, open batches) and keyed windows. */
final class FlowStates {
    private static final TypeReference<List<JsonNode>> EVENTS = new TypeReference<>() {};

    private final Sql sql;

    FlowStates(Sql sql) {
        this.sql = sql;
    }

    void holdEvents(HeldEvents h) throws SQLException {
        sql.update("""
                INSERT INTO flow_held(kind, key, function_id, events, first_at, due_at) VALUES (?,?,?,?,?,?)
                ON CONFLICT(kind, key) DO UPDATE SET function_id = excluded.function_id, events = excluded.events,
                  first_at = excluded.first_at, due_at = excluded.due_at""",
                h.kind(), h.key(), h.functionId(), Sql.json(h.events()), h.firstAt(), h.dueAt());
    }

    Optional<HeldEvents> heldEvents(String kind, String key) throws SQLException {
        return sql.queryFirst("SELECT * FROM flow_held WHERE kind = ? AND key = ?", FlowStates::held, kind, key);
    }

    boolean releaseHeld(String kind, String key) throws SQLException {
        return sql.update("DELETE FROM flow_held WHERE kind = ? AND key = ?", kind, key) == 1;
    }

    List<HeldEvents> heldEvents() throws SQLException {
        return sql.query("SELECT * FROM flow_held ORDER BY due_at, kind, key", FlowStates::held);
    }

    void saveWindow(FlowWindow w) throws SQLException {
        sql.update("""
                INSERT INTO flow_windows(kind, key, value, expires_at) VALUES (?,?,?,?)
                ON CONFLICT(kind, key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at""",
                w.kind(), w.key(), w.value(), w.expiresAt());
    }

    boolean claimWindow(FlowWindow w, long now) throws SQLException {
        return sql.update("""
                INSERT INTO flow_windows(kind, key, value, expires_at) VALUES (?,?,?,?)
                ON CONFLICT(kind, key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at
                WHERE flow_windows.expires_at <= ?""",
                w.kind(), w.key(), w.value(), w.expiresAt(), now) == 1;
    }

    List<FlowWindow> windows(long now) throws SQLException {
        return sql.query("SELECT * FROM flow_windows WHERE expires_at > ? ORDER BY kind, key", FlowStates::window, now);
    }

    int dropExpiredWindows(long now) throws SQLException {
        return sql.update("DELETE FROM flow_windows WHERE expires_at <= ?", now);
    }

    private static HeldEvents held(ResultSet rs) throws SQLException {
        return new HeldEvents(rs.getString("kind"), rs.getString("key"), rs.getString("function_id"),
                Sql.read(rs.getString("events"), EVENTS), rs.getLong("first_at"), rs.getLong("due_at"));
    }

    private static FlowWindow window(ResultSet rs) throws SQLException {
        return new FlowWindow(rs.getString("kind"), rs.getString("key"), rs.getLong("value"), rs.getLong("expires_at"));
    }
}
