package dev.loomstep.devserver.store;

import dev.loomstep.Event;
import dev.loomstep.protocol.Json;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;

/** Received events, by id. */
final class Events {
    private final Sql sql;

    Events(Sql sql) {
        this.sql = sql;
    }

    boolean insertEvent(Event event, long receivedAt) throws SQLException {
        return sql.update("INSERT OR IGNORE INTO events(id, name, body, received_at) VALUES (?,?,?,?)",
                event.id(), event.name(), Json.toString(event), receivedAt) == 1;
    }

    Optional<EventRecord> event(String id) throws SQLException {
        return sql.queryFirst("SELECT body, received_at FROM events WHERE id = ?", Events::eventRecord, id);
    }

    List<EventRecord> events(String name, int limit) throws SQLException {
        return name == null
                ? sql.query("SELECT body, received_at FROM events ORDER BY received_at DESC, id DESC LIMIT ?",
                        Events::eventRecord, limit)
                : sql.query("SELECT body, received_at FROM events WHERE name = ? ORDER BY received_at DESC, id DESC LIMIT ?",
                        Events::eventRecord, name, limit);
    }

    private static EventRecord eventRecord(ResultSet rs) throws SQLException {
        return new EventRecord(Sql.read(rs.getString("body"), Event.class), rs.getLong("received_at"));
    }
}
