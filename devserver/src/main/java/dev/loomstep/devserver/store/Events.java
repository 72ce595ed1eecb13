package dev.loomstep.devserver.store;

import dev.loomstep.Event;
import dev.loomstep.protocol.Json;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
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

    /**
     * Events, newest first: optionally only those named {@code name}, only those whose id is
     * {@code search} or whose name starts with it, without Inngest's own {@code inngest/...} events
     * unless {@code internal}, and only those received before the cursor ({@code beforeAt}, {@code beforeId}).
     */
    List<EventRecord> events(String name, String search, boolean internal, Long beforeAt, String beforeId, int limit)
            throws SQLException {
        return events(name, search, internal, null, null, beforeAt, beforeId, limit);
    }

    /** As {@link #events(String, String, boolean, Long, String, int)}, only those received at or after {@code from} and before {@code until} (each may be null). */
    List<EventRecord> events(String name, String search, boolean internal, Long from, Long until, Long beforeAt, String beforeId,
                             int limit) throws SQLException {
        var args = new ArrayList<Object>();
        return sql.query(eventsSql(name, search, internal, from, until, beforeAt, beforeId, limit, args), Events::eventRecord,
                args.toArray());
    }

    /** The SQL of {@link #events(String, String, boolean, Long, String, int)}, its arguments added to {@code args}; for plan checks too. */
    static String eventsSql(String name, String search, boolean internal, Long beforeAt, String beforeId, int limit, List<Object> args) {
        return eventsSql(name, search, internal, null, null, beforeAt, beforeId, limit, args);
    }

    static String eventsSql(String name, String search, boolean internal, Long from, Long until, Long beforeAt, String beforeId,
                            int limit, List<Object> args) {
        var text = new StringBuilder("SELECT body, received_at FROM events WHERE 1=1");
        if (from != null) {
            text.append(" AND received_at >= ?");
            args.add(from);
        }
        if (until != null) {
            text.append(" AND received_at < ?");
            args.add(until);
        }
        if (!internal) {
            text.append(" AND name NOT LIKE 'inngest/%'");
        }
        if (name != null) {
            text.append(" AND name = ?");
            args.add(name);
        }
        if (search != null) {
            text.append(" AND (id = ? OR name LIKE ? ESCAPE '\\')");
            args.add(search);
            args.add(Sql.likePrefix(search) + "%");
        }
        if (beforeAt != null) {
            text.append(" AND (received_at < ? OR (received_at = ? AND id < ?))");
            args.add(beforeAt);
            args.add(beforeAt);
            args.add(beforeId);
        }
        text.append(" ORDER BY received_at DESC, id DESC LIMIT ?");
        args.add(limit);
        return text.toString();
    }

    private static EventRecord eventRecord(ResultSet rs) throws SQLException {
        return new EventRecord(Sql.read(rs.getString("body"), Event.class), rs.getLong("received_at"));
    }
}
