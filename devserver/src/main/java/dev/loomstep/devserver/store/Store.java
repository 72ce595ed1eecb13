package dev.loomstep.devserver.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Event;
import dev.loomstep.protocol.Json;
import dev.loomstep.protocol.SyncRequest.FunctionConfig;
import dev.loomstep.protocol.WireError;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The devserver's durable state in one SQLite database (WAL mode): apps, functions, events, runs,
 * steps (memoized outputs in stack order), queue items (calls and timers with a due time) and pauses.
 *
 * <p>One connection behind one lock: SQLite has a single writer anyway, and a lock held across a whole
 * transaction makes "commit the step's output, then enqueue the next call" atomic. {@link #tx} is
 * reentrant, so operations compose into the caller's transaction; {@link #afterCommit} defers work
 * (scheduling in memory) until the outermost transaction has committed.
 */
public final class Store implements AutoCloseable {
    private static final TypeReference<List<Event>> EVENT_LIST = new TypeReference<>() {};

    private final Connection connection;
    private final String description;
    private final ReentrantLock lock = new ReentrantLock();
    /**
     * Statements prepared once per SQL text and reused: SQLite compiles a statement on every prepare,
     * which cost more than running the small ones. Only used under {@link #lock}, like the connection.
     */
    private final Map<String, PreparedStatement> statements = new HashMap<>();
    private int depth;
    private final List<Runnable> afterCommit = new ArrayList<>();
    private boolean closed;

    private Store(Connection connection, String description) throws SQLException {
        this.connection = connection;
        this.description = description;
        try (Statement s = connection.createStatement()) {
            s.execute("PRAGMA journal_mode=WAL");
            // NORMAL in WAL mode survives process crashes (only an OS crash may lose the last commits).
            s.execute("PRAGMA synchronous=NORMAL");
            s.execute("PRAGMA busy_timeout=5000");
            for (String ddl : SCHEMA) {
                s.execute(ddl);
            }
        }
        connection.setAutoCommit(false);
        connection.commit();
    }

    /** Opens (creating if needed) the database file. */
    public static Store open(Path file) {
        try {
            Path abs = file.toAbsolutePath();
            if (abs.getParent() != null) {
                Files.createDirectories(abs.getParent());
            }
            return new Store(DriverManager.getConnection("jdbc:sqlite:" + abs), abs.toString());
        } catch (SQLException | java.io.IOException e) {
            throw new StoreException("cannot open the devserver database " + file + ": " + e.getMessage(), e);
        }
    }

    /** A database that lives only as long as this store. */
    public static Store inMemory() {
        try {
            return new Store(DriverManager.getConnection("jdbc:sqlite::memory:"), "in memory");
        } catch (SQLException e) {
            throw new StoreException("cannot open an in-memory SQLite database: " + e.getMessage(), e);
        }
    }

    /** The database file's absolute path, or "in memory". */
    public String description() {
        return description;
    }

    private static final String[] SCHEMA = {
        """
        CREATE TABLE IF NOT EXISTS apps (
          id TEXT PRIMARY KEY, url TEXT NOT NULL, sdk TEXT, framework TEXT, app_version TEXT,
          synced_at INTEGER NOT NULL)""",
        """
        CREATE TABLE IF NOT EXISTS functions (
          id TEXT PRIMARY KEY, app_id TEXT NOT NULL, config TEXT NOT NULL, updated_at INTEGER NOT NULL)""",
        """
        CREATE TABLE IF NOT EXISTS events (
          id TEXT PRIMARY KEY, name TEXT NOT NULL, body TEXT NOT NULL, received_at INTEGER NOT NULL)""",
        "CREATE INDEX IF NOT EXISTS events_by_time ON events(received_at)",
        """
        CREATE TABLE IF NOT EXISTS runs (
          id TEXT PRIMARY KEY, function_id TEXT NOT NULL, event_id TEXT, events TEXT NOT NULL,
          status TEXT NOT NULL, output TEXT, error TEXT, created_at INTEGER NOT NULL,
          started_at INTEGER, ended_at INTEGER, disable_immediate INTEGER NOT NULL DEFAULT 0,
          request_version INTEGER NOT NULL DEFAULT -1, invoker TEXT)""",
        "CREATE INDEX IF NOT EXISTS runs_by_event ON runs(event_id)",
        "CREATE INDEX IF NOT EXISTS runs_by_function ON runs(function_id, status)",
        """
        CREATE TABLE IF NOT EXISTS steps (
          run_id TEXT NOT NULL, id TEXT NOT NULL, name TEXT, op TEXT, status TEXT NOT NULL,
          memo TEXT, error TEXT, seq INTEGER, attempts INTEGER NOT NULL DEFAULT 0,
          started_at INTEGER, ended_at INTEGER, PRIMARY KEY (run_id, id))""",
        """
        CREATE TABLE IF NOT EXISTS queue (
          id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT, kind TEXT NOT NULL, step_id TEXT,
          attempt INTEGER NOT NULL DEFAULT 0, due_at INTEGER NOT NULL, payload TEXT)""",
        "CREATE INDEX IF NOT EXISTS queue_by_run ON queue(run_id, kind, step_id)",
        """
        CREATE TABLE IF NOT EXISTS pauses (
          run_id TEXT NOT NULL, step_id TEXT NOT NULL, kind TEXT NOT NULL, event_name TEXT,
          expression TEXT, match TEXT, expires_at INTEGER NOT NULL, created_at INTEGER NOT NULL,
          PRIMARY KEY (run_id, step_id))""",
        "CREATE INDEX IF NOT EXISTS pauses_by_event ON pauses(kind, event_name)",
    };

    // ---------------------------------------------------------------- transactions

    /** Work inside a transaction. */
    @FunctionalInterface
    public interface Work<T> {
        T run() throws SQLException;
    }

    /**
     * Runs {@code work} in a transaction, joining the caller's when there is one. Commits (and then runs
     * the after-commit actions) when the outermost transaction ends; rolls back on any exception.
     */
    public <T> T tx(Work<T> work) {
        lock.lock();
        List<Runnable> toRun = List.of();
        try {
            if (closed) {
                throw new StoreException("the devserver database is closed", null);
            }
            depth++;
            boolean ok = false;
            try {
                T result = work.run();
                ok = true;
                return result;
            } catch (SQLException e) {
                throw new StoreException("database error: " + e.getMessage(), e);
            } finally {
                depth--;
                if (depth == 0) {
                    try {
                        if (ok) {
                            connection.commit();
                            toRun = new ArrayList<>(afterCommit);
                        } else {
                            connection.rollback();
                        }
                    } catch (SQLException e) {
                        throw new StoreException("database commit failed: " + e.getMessage(), e);
                    } finally {
                        afterCommit.clear();
                    }
                }
            }
        } finally {
            lock.unlock();
            // Outside the lock: scheduling takes the queue's lock, never both in the other order.
            for (Runnable r : toRun) {
                r.run();
            }
        }
    }

    public void txRun(Runnable work) {
        tx(() -> {
            work.run();
            return null;
        });
    }

    /** Runs {@code action} once the current transaction has committed (dropped on rollback). */
    public void afterCommit(Runnable action) {
        if (!lock.isHeldByCurrentThread() || depth == 0) {
            action.run();
            return;
        }
        afterCommit.add(action);
    }

    @Override
    public void close() {
        lock.lock();
        try {
            if (!closed) {
                closed = true;
                for (PreparedStatement ps : statements.values()) {
                    ps.close();
                }
                statements.clear();
                connection.close();
            }
        } catch (SQLException e) {
            throw new StoreException("closing the devserver database failed: " + e.getMessage(), e);
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------- apps and functions

    public void upsertApp(AppRecord app) {
        tx(() -> update("""
                INSERT INTO apps(id, url, sdk, framework, app_version, synced_at) VALUES (?,?,?,?,?,?)
                ON CONFLICT(id) DO UPDATE SET url=excluded.url, sdk=excluded.sdk, framework=excluded.framework,
                  app_version=excluded.app_version, synced_at=excluded.synced_at""",
                app.id(), app.url(), app.sdk(), app.framework(), app.appVersion(), app.syncedAt()));
    }

    public List<AppRecord> apps() {
        return tx(() -> query("SELECT * FROM apps ORDER BY id", rs -> new AppRecord(
                rs.getString("id"), rs.getString("url"), rs.getString("sdk"), rs.getString("framework"),
                rs.getString("app_version"), rs.getLong("synced_at"))));
    }

    /** Replaces every function of {@code appId} with {@code functions} (a re-sync drops the missing ones). */
    public void replaceFunctions(String appId, List<FunctionRecord> functions) {
        tx(() -> {
            update("DELETE FROM functions WHERE app_id = ?", appId);
            for (FunctionRecord f : functions) {
                // A function id moving to another app is taken over by the app syncing it now.
                update("""
                        INSERT INTO functions(id, app_id, config, updated_at) VALUES (?,?,?,?)
                        ON CONFLICT(id) DO UPDATE SET app_id=excluded.app_id, config=excluded.config,
                          updated_at=excluded.updated_at""",
                        f.id(), appId, Json.toString(f.config()), f.updatedAt());
            }
            return null;
        });
    }

    public List<FunctionRecord> functions() {
        return tx(() -> query("SELECT * FROM functions ORDER BY id", Store::functionRecord));
    }

    private static FunctionRecord functionRecord(ResultSet rs) throws SQLException {
        return new FunctionRecord(rs.getString("id"), rs.getString("app_id"),
                read(rs.getString("config"), FunctionConfig.class), rs.getLong("updated_at"));
    }

    // ---------------------------------------------------------------- events

    /** Saves an event; false when an event with the same id was already received. */
    public boolean insertEvent(Event event, long receivedAt) {
        return tx(() -> update("INSERT OR IGNORE INTO events(id, name, body, received_at) VALUES (?,?,?,?)",
                event.id(), event.name(), Json.toString(event), receivedAt) == 1);
    }

    public Optional<EventRecord> event(String id) {
        return tx(() -> first(query("SELECT body, received_at FROM events WHERE id = ?", Store::eventRecord, id)));
    }

    public List<EventRecord> events(String name, int limit) {
        return tx(() -> name == null
                ? query("SELECT body, received_at FROM events ORDER BY received_at DESC, id DESC LIMIT ?", Store::eventRecord, limit)
                : query("SELECT body, received_at FROM events WHERE name = ? ORDER BY received_at DESC, id DESC LIMIT ?",
                        Store::eventRecord, name, limit));
    }

    private static EventRecord eventRecord(ResultSet rs) throws SQLException {
        return new EventRecord(read(rs.getString("body"), Event.class), rs.getLong("received_at"));
    }

    // ---------------------------------------------------------------- runs

    public void insertRun(RunRecord r) {
        tx(() -> update("""
                INSERT INTO runs(id, function_id, event_id, events, status, output, error, created_at, started_at,
                  ended_at, disable_immediate, request_version, invoker) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)""",
                r.id(), r.functionId(), r.eventId(), Json.toString(r.events()), r.status().name(),
                json(r.output()), json(r.error()), r.createdAt(), r.startedAt(), r.endedAt(),
                r.disableImmediate() ? 1 : 0, r.requestVersion(), r.invoker()));
    }

    public Optional<RunRecord> run(String id) {
        return tx(() -> first(query("SELECT * FROM runs WHERE id = ?", Store::runRecord, id)));
    }

    /** Runs, newest first, optionally filtered by status and function id. */
    public List<RunRecord> runs(RunStatus status, String functionId, int limit) {
        var sql = new StringBuilder("SELECT * FROM runs WHERE 1=1");
        var args = new ArrayList<Object>();
        if (status != null) {
            sql.append(" AND status = ?");
            args.add(status.name());
        }
        if (functionId != null) {
            sql.append(" AND function_id = ?");
            args.add(functionId);
        }
        sql.append(" ORDER BY created_at DESC, id DESC LIMIT ?");
        args.add(limit);
        return tx(() -> query(sql.toString(), Store::runRecord, args.toArray()));
    }

    public List<RunRecord> runsForEvent(String eventId) {
        return tx(() -> query("SELECT * FROM runs WHERE event_id = ? ORDER BY created_at, id", Store::runRecord, eventId));
    }

    public void markStarted(String runId, long at) {
        tx(() -> update("UPDATE runs SET started_at = ? WHERE id = ? AND started_at IS NULL", at, runId));
    }

    public void setDisableImmediate(String runId) {
        tx(() -> update("UPDATE runs SET disable_immediate = 1 WHERE id = ?", runId));
    }

    public void setRequestVersion(String runId, int version) {
        tx(() -> update("UPDATE runs SET request_version = ? WHERE id = ?", version, runId));
    }

    /** Ends a running run; false when it had already ended (then nothing changes). */
    public boolean finishRun(String runId, RunStatus status, JsonNode output, WireError error, long at) {
        return tx(() -> update("UPDATE runs SET status = ?, output = ?, error = ?, ended_at = ? WHERE id = ? AND status = 'Running'",
                status.name(), json(output), json(error), at, runId) == 1);
    }

    private static RunRecord runRecord(ResultSet rs) throws SQLException {
        return new RunRecord(
                rs.getString("id"), rs.getString("function_id"), rs.getString("event_id"),
                read(rs.getString("events"), EVENT_LIST), RunStatus.valueOf(rs.getString("status")),
                tree(rs.getString("output")), read(rs.getString("error"), WireError.class),
                rs.getLong("created_at"), nullableLong(rs, "started_at"), nullableLong(rs, "ended_at"),
                rs.getInt("disable_immediate") != 0, rs.getInt("request_version"), rs.getString("invoker"));
    }

    // ---------------------------------------------------------------- steps

    /** Every step of a run: memoized ones in stack order first, then the rest by start time. */
    public List<StepRecord> steps(String runId) {
        return tx(() -> query("""
                SELECT * FROM steps WHERE run_id = ?
                ORDER BY seq IS NULL, seq, started_at IS NULL, started_at, id""", Store::stepRecord, runId));
    }

    public Optional<StepRecord> step(String runId, String stepId) {
        return tx(() -> first(query("SELECT * FROM steps WHERE run_id = ? AND id = ?", Store::stepRecord, runId, stepId)));
    }

    /**
     * Records what is known of a step that is not memoized: its name, op, status, attempts and start.
     * Existing names and start times are kept; a memoized step is never changed.
     */
    public void noteStep(String runId, String stepId, String name, String op, String status, int attempts,
                         WireError error, long startedAt) {
        tx(() -> update("""
                INSERT INTO steps(run_id, id, name, op, status, error, attempts, started_at) VALUES (?,?,?,?,?,?,?,?)
                ON CONFLICT(run_id, id) DO UPDATE SET
                  name = COALESCE(excluded.name, steps.name), op = COALESCE(excluded.op, steps.op),
                  status = excluded.status, error = COALESCE(excluded.error, steps.error),
                  attempts = MAX(steps.attempts, excluded.attempts),
                  started_at = COALESCE(steps.started_at, excluded.started_at)
                WHERE steps.seq IS NULL""",
                runId, stepId, name, op, status, json(error), attempts, startedAt));
    }

    /**
     * Memoizes a step: saves {@code memo} (what the SDK gets back in {@code steps}) and appends the
     * step to the run's stack. False when the step was already memoized (then nothing changes).
     */
    public boolean memoize(String runId, String stepId, String name, String op, String status, JsonNode memo,
                           WireError error, int attempts, long startedAt, long endedAt) {
        return tx(() -> {
            var existing = step(runId, stepId);
            if (existing.isPresent() && existing.get().memoized()) {
                return false;
            }
            Integer next = first(query("SELECT COALESCE(MAX(seq), -1) + 1 AS n FROM steps WHERE run_id = ?",
                    rs -> rs.getInt("n"), runId)).orElse(0);
            update("""
                    INSERT INTO steps(run_id, id, name, op, status, memo, error, seq, attempts, started_at, ended_at)
                    VALUES (?,?,?,?,?,?,?,?,?,?,?)
                    ON CONFLICT(run_id, id) DO UPDATE SET
                      name = COALESCE(excluded.name, steps.name), op = COALESCE(excluded.op, steps.op),
                      status = excluded.status, memo = excluded.memo, error = COALESCE(excluded.error, steps.error),
                      seq = excluded.seq, attempts = MAX(steps.attempts, excluded.attempts),
                      started_at = COALESCE(steps.started_at, excluded.started_at), ended_at = excluded.ended_at""",
                    runId, stepId, name, op, status, Json.toString(memo == null ? Json.nodes().nullNode() : memo),
                    json(error), next, attempts, startedAt, endedAt);
            return true;
        });
    }

    private static StepRecord stepRecord(ResultSet rs) throws SQLException {
        int seq = rs.getInt("seq");
        Integer seqOrNull = rs.wasNull() ? null : seq;
        return new StepRecord(rs.getString("run_id"), rs.getString("id"), rs.getString("name"), rs.getString("op"),
                rs.getString("status"), tree(rs.getString("memo")), read(rs.getString("error"), WireError.class),
                seqOrNull, rs.getInt("attempts"), nullableLong(rs, "started_at"), nullableLong(rs, "ended_at"));
    }

    // ---------------------------------------------------------------- queue

    public QueueItem insertItem(String runId, QueueItem.Kind kind, String stepId, int attempt, long dueAt, JsonNode payload) {
        return tx(() -> {
            update("INSERT INTO queue(run_id, kind, step_id, attempt, due_at, payload) VALUES (?,?,?,?,?,?)",
                    runId, kind.name(), stepId, attempt, dueAt, json(payload));
            long id = first(query("SELECT last_insert_rowid() AS id", rs -> rs.getLong("id"))).orElseThrow();
            return new QueueItem(id, runId, kind, stepId, attempt, dueAt, payload);
        });
    }

    /** Deletes a queue item; false when it no longer exists (already handled or cancelled). */
    public boolean deleteItem(long id) {
        return tx(() -> update("DELETE FROM queue WHERE id = ?", id) == 1);
    }

    /** Moves an item to a later attempt and due time; empty when it no longer exists. */
    public Optional<QueueItem> reschedule(QueueItem item, int attempt, long dueAt) {
        return tx(() -> update("UPDATE queue SET attempt = ?, due_at = ? WHERE id = ?", attempt, dueAt, item.id()) == 1
                ? Optional.of(new QueueItem(item.id(), item.runId(), item.kind(), item.stepId(), attempt, dueAt, item.payload()))
                : Optional.empty());
    }

    public List<QueueItem> items() {
        return tx(() -> query("SELECT * FROM queue ORDER BY due_at, id", Store::queueItem));
    }

    public List<QueueItem> items(String runId, QueueItem.Kind kind) {
        return tx(() -> query("SELECT * FROM queue WHERE run_id = ? AND kind = ? ORDER BY id", Store::queueItem, runId, kind.name()));
    }

    public Optional<QueueItem> item(String runId, QueueItem.Kind kind, String stepId) {
        return tx(() -> first(query("SELECT * FROM queue WHERE run_id = ? AND kind = ? AND step_id = ? ORDER BY id",
                Store::queueItem, runId, kind.name(), stepId)));
    }

    public boolean itemExists(long id) {
        return tx(() -> first(query("SELECT 1 AS x FROM queue WHERE id = ?", rs -> rs.getInt("x"), id)).isPresent());
    }

    public void deleteItems(String runId) {
        tx(() -> update("DELETE FROM queue WHERE run_id = ?", runId));
    }

    /** Deletes the cron items of a function (a re-sync schedules them anew). */
    public List<QueueItem> deleteCronItems(String functionId) {
        return tx(() -> {
            var items = query("SELECT * FROM queue WHERE kind = 'CRON' AND step_id = ?", Store::queueItem, functionId);
            update("DELETE FROM queue WHERE kind = 'CRON' AND step_id = ?", functionId);
            return items;
        });
    }

    private static QueueItem queueItem(ResultSet rs) throws SQLException {
        return new QueueItem(rs.getLong("id"), rs.getString("run_id"), QueueItem.Kind.valueOf(rs.getString("kind")),
                rs.getString("step_id"), rs.getInt("attempt"), rs.getLong("due_at"), tree(rs.getString("payload")));
    }

    // ---------------------------------------------------------------- pauses

    public void insertPause(PauseRecord p) {
        tx(() -> update("""
                INSERT OR IGNORE INTO pauses(run_id, step_id, kind, event_name, expression, match, expires_at, created_at)
                VALUES (?,?,?,?,?,?,?,?)""",
                p.runId(), p.stepId(), p.kind(), p.eventName(), p.expression(), p.match(), p.expiresAt(), p.createdAt()));
    }

    public Optional<PauseRecord> pause(String runId, String stepId) {
        return tx(() -> first(query("SELECT * FROM pauses WHERE run_id = ? AND step_id = ?", Store::pauseRecord, runId, stepId)));
    }

    /** Consumes a pause; false when it was already consumed (resumed or timed out). */
    public boolean deletePause(String runId, String stepId) {
        return tx(() -> update("DELETE FROM pauses WHERE run_id = ? AND step_id = ?", runId, stepId) == 1);
    }

    public List<PauseRecord> waitPausesFor(String eventName) {
        return tx(() -> query("SELECT * FROM pauses WHERE kind = 'wait' AND event_name = ? ORDER BY created_at, run_id",
                Store::pauseRecord, eventName));
    }

    public void deletePauses(String runId) {
        tx(() -> update("DELETE FROM pauses WHERE run_id = ?", runId));
    }

    private static PauseRecord pauseRecord(ResultSet rs) throws SQLException {
        return new PauseRecord(rs.getString("run_id"), rs.getString("step_id"), rs.getString("kind"),
                rs.getString("event_name"), rs.getString("expression"), rs.getString("match"),
                rs.getLong("expires_at"), rs.getLong("created_at"));
    }

    // ---------------------------------------------------------------- JDBC helpers

    @FunctionalInterface
    private interface Row<T> {
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

    private int update(String sql, Object... args) throws SQLException {
        PreparedStatement ps = prepared(sql);
        bind(ps, args);
        return ps.executeUpdate();
    }

    /** Row mappers must not query: the statement's result set is open while they run. */
    private <T> List<T> query(String sql, Row<T> row, Object... args) throws SQLException {
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

    private static <T> Optional<T> first(List<T> rows) {
        return rows.isEmpty() ? Optional.empty() : Optional.ofNullable(rows.get(0));
    }

    private static Long nullableLong(ResultSet rs, String column) throws SQLException {
        long v = rs.getLong(column);
        return rs.wasNull() ? null : v;
    }

    private static String json(Object value) {
        return value == null ? null : Json.toString(value);
    }

    private static JsonNode tree(String text) {
        if (text == null) {
            return null;
        }
        try {
            return Json.mapper().readTree(text);
        } catch (JsonProcessingException e) {
            throw new StoreException("corrupt JSON in the devserver database: " + e.getOriginalMessage(), e);
        }
    }

    private static <T> T read(String text, Class<T> type) {
        if (text == null) {
            return null;
        }
        try {
            return Json.mapper().readValue(text, type);
        } catch (JsonProcessingException e) {
            throw new StoreException("corrupt " + type.getSimpleName() + " in the devserver database: " + e.getOriginalMessage(), e);
        }
    }

    private static <T> T read(String text, TypeReference<T> type) {
        try {
            return Json.mapper().readValue(text, type);
        } catch (JsonProcessingException e) {
            throw new StoreException("corrupt JSON in the devserver database: " + e.getOriginalMessage(), e);
        }
    }

    /**
     * Forgets every run, step, event, wait and pending queue item; synced apps, functions and cron
     * schedules stay. For {@code DevServer.reset()}: tests that share one devserver start clean.
     */
    public void clearRuns() {
        tx(() -> {
            for (String sql : List.of("DELETE FROM pauses", "DELETE FROM queue WHERE kind <> 'CRON'", "DELETE FROM steps",
                    "DELETE FROM runs", "DELETE FROM events")) {
                update(sql);
            }
            return null;
        });
    }

    /** Counts rows per table; for diagnostics and tests. */
    public Map<String, Long> counts() {
        return tx(() -> {
            var out = new HashMap<String, Long>();
            for (String t : List.of("apps", "functions", "events", "runs", "steps", "queue", "pauses")) {
                out.put(t, first(query("SELECT COUNT(*) AS n FROM " + t, rs -> rs.getLong("n"))).orElse(0L));
            }
            return out;
        });
    }
}
