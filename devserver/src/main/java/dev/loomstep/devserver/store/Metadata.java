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
 * Run and step metadata, one row per (run, step, kind); the run's own has step hash {@code ""}. Updates are
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
    void apply(String runId, Store.MetadataUpdate u, long now) throws SQLException {
        String op = u.op();
        ObjectNode values = u.values();
        Optional<MetadataRecord> old = sql.queryFirst("SELECT * FROM run_metadata WHERE run_id = ? AND step_hash = ? AND kind = ?",
                Metadata::row, runId, u.stepHash(), u.kind());
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
                        // whole numbers stay whole (1 + 2 is 3, not 3.0), as JSON numbers print
                        double sum = was.asDouble() + e.getValue().asDouble();
                        if (was.isIntegralNumber() && e.getValue().isIntegralNumber() && sum == Math.rint(sum) && Math.abs(sum) < 9e15) {
                            combined.put(e.getKey(), (long) sum);
                        } else {
                            combined.put(e.getKey(), sum);
                        }
                    }
                }
            }
            default -> throw new IllegalArgumentException("unknown metadata op \"" + op + "\"");
        }
        long total = old.map(MetadataRecord::size).orElse(0L) + u.size();
        // an op's metadata does not name its step's own id: keep the one a REST update gave
        String stepId = u.stepId() != null ? u.stepId() : old.map(MetadataRecord::stepId).orElse(null);
        Integer stepIndex = u.stepId() != null ? u.stepIndex() : old.map(MetadataRecord::stepIndex).orElse(null);
        sql.update("INSERT OR REPLACE INTO run_metadata(run_id, step_hash, step_id, step_index, attempt, kind, vals, size, updated_at)"
                + " VALUES (?,?,?,?,?,?,?,?,?)", runId, u.stepHash(), stepId, stepIndex, u.attempt(), u.kind(), Json.toString(combined),
                total, now);
    }

    /** The run's metadata: its own first, then its steps', each by kind. */
    List<MetadataRecord> of(String runId) throws SQLException {
        return sql.query("SELECT * FROM run_metadata WHERE run_id = ? ORDER BY step_hash <> '', updated_at, step_hash, kind", Metadata::row, runId);
    }

    private static MetadataRecord row(ResultSet rs) throws SQLException {
        int attempt = rs.getInt("attempt");
        Integer a = rs.wasNull() ? null : attempt;
        int index = rs.getInt("step_index");
        Integer i = rs.wasNull() ? null : index;
        return new MetadataRecord(rs.getString("run_id"), rs.getString("step_hash"), rs.getString("step_id"), i, a,
                rs.getString("kind"), (ObjectNode) Sql.read(rs.getString("vals"), JsonNode.class), rs.getLong("size"),
                rs.getLong("updated_at"));
    }
}
