package dev.loomstep.devserver.store;

import dev.loomstep.protocol.Json;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;

/** The spans SDKs sent for runs, by run; and the trace context the events came with, by event. */
final class Spans {
    private final Sql sql;

    Spans(Sql sql) {
        this.sql = sql;
    }

    /** A span sent twice (an exporter's retry) replaces the first copy. */
    void insert(SpanRecord s) throws SQLException {
        sql.update("INSERT OR REPLACE INTO run_spans(run_id, span_id, trace_id, parent_span_id, name, scope, start_ns, end_ns,"
                        + " status, status_message, attributes) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                s.runId(), s.spanId(), s.traceId(), s.parentSpanId(), s.name(), s.scope(), s.startNanos(), s.endNanos(),
                s.status(), s.statusMessage(), Json.toString(s.attributes()));
    }

    /** A run's spans in start order. */
    List<SpanRecord> spans(String runId) throws SQLException {
        return sql.query("SELECT * FROM run_spans WHERE run_id = ? ORDER BY start_ns, span_id", Spans::span, runId);
    }

    void noteEventTrace(String eventId, String traceparent) throws SQLException {
        sql.update("INSERT OR IGNORE INTO event_traces(event_id, traceparent) VALUES (?,?)", eventId, traceparent);
    }

    Optional<String> eventTrace(String eventId) throws SQLException {
        return sql.queryFirst("SELECT traceparent FROM event_traces WHERE event_id = ?", rs -> rs.getString(1), eventId);
    }

    private static SpanRecord span(ResultSet rs) throws SQLException {
        return new SpanRecord(rs.getString("run_id"), rs.getString("span_id"), rs.getString("trace_id"),
                rs.getString("parent_span_id"), rs.getString("name"), rs.getString("scope"), rs.getLong("start_ns"),
                rs.getLong("end_ns"), rs.getInt("status"), rs.getString("status_message"),
                Sql.read(rs.getString("attributes"), com.fasterxml.jackson.databind.JsonNode.class));
    }
}
