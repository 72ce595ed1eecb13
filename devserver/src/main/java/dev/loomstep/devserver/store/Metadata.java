package dev.loomstep.devserver.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loomstep.protocol.Json;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Run and step metadata, one row per (run, step, kind); the run's own has step id {@code ""}. Updates are
 * combined on the writer, so two updates of one kind never lose each other.
 */
final class Metadata {
    private final Sql sql;

    Metadata(Sql sql) {
        this.sql = sql;
    }

    /** The bytes the run's accepted updates carried so far. */
    long runBytes(String runId) throws SQLException {
        return sql.queryFirst("SELECT COALESCE(SUM(size), 0) FROM run_metadata WHERE run_id = ?", rs -> rs.getLong(1), runId)
                .orElse(0L);
    }

    /**
     * Combines one update into its row: {@code set} replaces the values, {@code merge} replaces key by key,
     * {@code delete} removes the keys given, {@code add} adds numbers key by key (a key that is not a number
     * yet takes the value given).
     */
    void apply(String runId, String stepId, int stepIndex, Integer attempt, String kind, String op, ObjectNode values,
               long size, long now) throws SQLException {
        String step = stepId == null ? "" : stepId;
        Optional<MetadataRecord> old = sql.queryFirst("SELECT * FROM run_metadata WHERE run_id = ? AND step_id = ?"
                + " AND step_index = ? AND kind = ?", Metadata::row, runId, step, stepIndex, kind);
        ObjectNode combined = old.map(r -> r.values().deepCopy()).orElseGet(() -> Json.nodes().objectNode());
        switch (op) {
            case "set" -> {
                combined.removeAll();
                combined.setAll(values);
            }
            case "merge" -> combined.setAll(values);
            case "delete" -> values.fieldNames().forEachRemaining(combined::remove);
            case "add" -> {
                for (Iterator<Map.Entry<String, JsonNode>> it = values.fields(); it.hasNext(); ) {
                    var e = it.next();
                    JsonNode was = combined.get(e.getKey());
                    if (was == null || !was.isNumber()) {
                        combined.set(e.getKey(), e.getValue());
                    } else if (e.getValue().isNumber()) {
                        combined.put(e.getKey(), was.asDouble() + e.getValue().asDouble());
                    }
                }
            }
            default -> throw new IllegalArgumentException("unknown metadata op \"" + op + "\"");
        }
        long total = old.map(MetadataRecord::size).orElse(0L) + size;
        sql.update("INSERT OR REPLACE INTO run_metadata(run_id, step_id, step_index, attempt, kind, vals, size, updated_at)"
                + " VALUES (?,?,?,?,?,?,?,?)", runId, step, stepIndex, attempt, kind, Json.toString(combined), total, now);
    }

    /** The run's metadata: its own first, then its steps', each by kind. */
    List<MetadataRecord> of(String runId) throws SQLException {
        return sql.query("SELECT * FROM run_metadata WHERE run_id = ? ORDER BY step_id, step_index, kind", Metadata::row, runId);
    }

    private static MetadataRecord row(ResultSet rs) throws SQLException {
        String step = rs.getString("step_id");
        int attempt = rs.getInt("attempt");
        Integer a = rs.wasNull() ? null : attempt;
        return new MetadataRecord(rs.getString("run_id"), step.isEmpty() ? null : step, rs.getInt("step_index"), a,
                rs.getString("kind"), (ObjectNode) Sql.read(rs.getString("vals"), JsonNode.class), rs.getLong("size"),
                rs.getLong("updated_at"));
    }
}
