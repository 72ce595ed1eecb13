package dev.loomstep.devserver.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.protocol.Json;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One SQLite connection with its prepared statements, and the row and JSON helpers the aggregates
 * share. Not thread-safe: whoever owns the connection (the writer thread, or a reader holding it) uses it.
 */
final class Sql implements AutoCloseable {
    private final Connection connection;
    /**
     * Statements prepared once per SQL text and reused: SQLite compiles a statement on every prepare,
     * which cost more than running the small ones.
     */
    private final Map<String, PreparedStatement> statements = new HashMap<>();

    Sql(Connection connection) {
        this.connection = connection;
    }

    Connection connection() {
        return connection;
    }

    @FunctionalInterface
    interface Row<T> {
        T map(ResultSet rs) throws SQLException;
    }

    private PreparedStatement prepared(String sql) throws SQLException {
        PreparedStatement ps = statements.get(sql);
        if (ps == null) {
            ps = connection.prepareStatement(sql);
            statements.put(sql, ps);
        }
        return ps;
    }

    int update(String sql, Object... args) throws SQLException {
        PreparedStatement ps = prepared(sql);
        bind(ps, args);
        return ps.executeUpdate();
    }

    /** Row mappers must not query: the statement's result set is open while they run. */
    <T> List<T> query(String sql, Row<T> row, Object... args) throws SQLException {
        PreparedStatement ps = prepared(sql);
        bind(ps, args);
        try (ResultSet rs = ps.executeQuery()) {
            var out = new ArrayList<T>();
            while (rs.next()) {
                out.add(row.map(rs));
            }
            return out;
        }
    }

    <T> Optional<T> queryFirst(String sql, Row<T> row, Object... args) throws SQLException {
        return first(query(sql, row, args));
    }

    @Override
    public void close() throws SQLException {
        try {
            for (PreparedStatement ps : statements.values()) {
                ps.close();
            }
            statements.clear();
        } finally {
            connection.close();
        }
    }

    private static void bind(PreparedStatement ps, Object[] args) throws SQLException {
        for (int i = 0; i < args.length; i++) {
            Object a = args[i];
            if (a == null) {
                ps.setNull(i + 1, Types.NULL);
            } else if (a instanceof Long l) {
                ps.setLong(i + 1, l);
            } else if (a instanceof Integer n) {
                ps.setInt(i + 1, n);
            } else {
                ps.setString(i + 1, a.toString());
            }
        }
    }

    static <T> Optional<T> first(List<T> rows) {
        return rows.isEmpty() ? Optional.empty() : Optional.ofNullable(rows.get(0));
    }

    /** {@code text} escaped for a {@code LIKE ... ESCAPE '\\'} pattern, so it matches itself literally. */
    static String likePrefix(String text) {
        return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_");
    }

    static Long nullableLong(ResultSet rs, String column) throws SQLException {
        long v = rs.getLong(column);
        return rs.wasNull() ? null : v;
    }

    static String json(Object value) {
        return value == null ? null : Json.toString(value);
    }

    static JsonNode tree(String text) {
        if (text == null) {
            return null;
        }
        try {
            return Json.mapper().readTree(text);
        } catch (JsonProcessingException e) {
            throw new StoreException("corrupt JSON in the devserver database: " + e.getOriginalMessage(), e);
        }
    }

    static <T> T read(String text, Class<T> type) {
        if (text == null) {
            return null;
        }
        try {
            return Json.mapper().readValue(text, type);
        } catch (JsonProcessingException e) {
            throw new StoreException("corrupt " + type.getSimpleName() + " in the devserver database: " + e.getOriginalMessage(), e);
        }
    }

    static <T> T read(String text, TypeReference<T> type) {
        try {
            return Json.mapper().readValue(text, type);
        } catch (JsonProcessingException e) {
            throw new StoreException("corrupt JSON in the devserver database: " + e.getOriginalMessage(), e);
        }
    }
}
