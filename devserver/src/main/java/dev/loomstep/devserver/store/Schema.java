package dev.loomstep.devserver.store;

import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * The tables, one group per aggregate; created if missing when a store opens, so a database file
 * written by an older devserver gains the newer tables at its next open (every change so far only adds
 * tables and indexes). {@code PRAGMA user_version} records the newest schema the file has seen.
 */
final class Schema {
    /**
     * 1: runs, steps, queue, pauses and the rest; 2: flow control's held events and windows; 3: the spans
     * SDKs send for runs (tracing); 4: the runs list's and events list's indexes, a batch's other events by
     * run, reruns; 5: the runs each run deferred ({@code step.defer}).
     */
    static final int VERSION = 5;

    static final List<String> TABLES = List.of("apps", "functions", "events", "runs", "steps", "queue", "pauses",
            "flow_held", "flow_windows");

    private static final String[] DDL = {
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
        // a step's place in its run's stack is MAX(seq) + 1: without this, every memoized step read all of its
        // run's steps, so a fan-out of N branches read N²/2 rows (10,000 branches: minutes)
        "CREATE INDEX IF NOT EXISTS steps_by_seq ON steps(run_id, seq)",
        """
        CREATE TABLE IF NOT EXISTS queue (
          id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT, kind TEXT NOT NULL, step_id TEXT,
          attempt INTEGER NOT NULL DEFAULT 0, due_at INTEGER NOT NULL, payload TEXT)""",
        "CREATE INDEX IF NOT EXISTS queue_by_run ON queue(run_id, kind, step_id)",
        // the queue pages pending items in by due time (WorkQueue keeps only a window of them in memory)
        "CREATE INDEX IF NOT EXISTS queue_by_due ON queue(due_at)",
        """
        CREATE TABLE IF NOT EXISTS pauses (
          run_id TEXT NOT NULL, step_id TEXT NOT NULL, kind TEXT NOT NULL, event_name TEXT,
          expression TEXT, match TEXT, expires_at INTEGER NOT NULL, created_at INTEGER NOT NULL,
          PRIMARY KEY (run_id, step_id))""",
        "CREATE INDEX IF NOT EXISTS pauses_by_event ON pauses(kind, event_name)",
        // What the UI shows of a step beyond its memo: a sleep's wake-up time, a wait's event and
        // expression, an invoke's target; kept after the pause or timer is gone.
        """
        CREATE TABLE IF NOT EXISTS step_details (
          run_id TEXT NOT NULL, step_id TEXT NOT NULL, detail TEXT NOT NULL, PRIMARY KEY (run_id, step_id))""",
        """
        CREATE TABLE IF NOT EXISTS step_attempts (
          run_id TEXT NOT NULL, step_id TEXT NOT NULL, attempt INTEGER NOT NULL, at INTEGER NOT NULL,
          error TEXT, retry_at INTEGER, PRIMARY KEY (run_id, step_id, attempt))""",
        "CREATE INDEX IF NOT EXISTS runs_by_invoker ON runs(invoker)",
        // the runs list's order (RunQuery): newest start, or queue time while not started
        "CREATE INDEX IF NOT EXISTS runs_by_start ON runs(COALESCE(started_at, created_at), id)",
        // version 2: flow control's state (FlowStates), committed with the event or run that changed it
        """
        CREATE TABLE IF NOT EXISTS flow_held (
          kind TEXT NOT NULL, key TEXT NOT NULL, function_id TEXT NOT NULL, events TEXT NOT NULL,
          first_at INTEGER NOT NULL, due_at INTEGER NOT NULL, PRIMARY KEY (kind, key))""",
        """
        CREATE TABLE IF NOT EXISTS flow_windows (
          kind TEXT NOT NULL, key TEXT NOT NULL, value INTEGER NOT NULL, expires_at INTEGER NOT NULL,
          PRIMARY KEY (kind, key))""",
        "CREATE INDEX IF NOT EXISTS flow_windows_by_expiry ON flow_windows(expires_at)",
        // version 3: tracing (Spans): the spans SDKs send to /v1/traces/userland, by run, and the W3C
        // traceparent an event was sent with, so the runs it starts join the sender's trace
        """
        CREATE TABLE IF NOT EXISTS run_spans (
          run_id TEXT NOT NULL, span_id TEXT NOT NULL, trace_id TEXT NOT NULL, parent_span_id TEXT, name TEXT NOT NULL,
          scope TEXT, start_ns INTEGER NOT NULL, end_ns INTEGER NOT NULL, status INTEGER NOT NULL, status_message TEXT,
          attributes TEXT NOT NULL, PRIMARY KEY (run_id, span_id))""",
        """
        CREATE TABLE IF NOT EXISTS event_traces (event_id TEXT PRIMARY KEY, traceparent TEXT NOT NULL)""",
        // version 4: every filter of the runs list is an equality prefix of an index in the list's order, so
        // a page reads its own rows whatever the database holds (RunQuery); (function_id, status) is a prefix
        // of the second, which replaces it
        "CREATE INDEX IF NOT EXISTS runs_by_status_start ON runs(status, COALESCE(started_at, created_at), id)",
        "CREATE INDEX IF NOT EXISTS runs_by_function_status_start ON runs(function_id, status, COALESCE(started_at, created_at), id)",
        "DROP INDEX IF EXISTS runs_by_function",
        // the events list's order, ties by id
        "CREATE INDEX IF NOT EXISTS events_by_time_id ON events(received_at, id)",
        "DROP INDEX IF EXISTS events_by_time",
        // a batch's events after its first (runs.event_id): the runs an event started, found by index
        """
        CREATE TABLE IF NOT EXISTS run_events (
          event_id TEXT NOT NULL, run_id TEXT NOT NULL, PRIMARY KEY (event_id, run_id)) WITHOUT ROWID""",
        // a run started by Rerun, and the run it reran
        "CREATE TABLE IF NOT EXISTS run_reruns (run_id TEXT PRIMARY KEY, rerun_of TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS run_reruns_by_original ON run_reruns(rerun_of)",
        // run and step metadata (Metadata), one row per (run, step, kind), step_hash "" for the run's own; a
        // new table only, which an older file gains as it opens, so the version stays
        """
        CREATE TABLE IF NOT EXISTS run_metadata (
          run_id TEXT NOT NULL, step_hash TEXT NOT NULL, step_id TEXT, step_index INTEGER, attempt INTEGER,
          kind TEXT NOT NULL, vals TEXT NOT NULL, size INTEGER NOT NULL, updated_at INTEGER NOT NULL,
          PRIMARY KEY (run_id, step_hash, kind)) WITHOUT ROWID""",
        // version 5: the runs a run deferred (Defers), started by an inngest/deferred.schedule event when it ends
        """
        CREATE TABLE IF NOT EXISTS run_defers (
          run_id TEXT NOT NULL, hashed_id TEXT NOT NULL, userland_id TEXT, fn_slug TEXT, input TEXT, size INTEGER NOT NULL,
          status TEXT NOT NULL, reason TEXT, event_id TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
          PRIMARY KEY (run_id, hashed_id)) WITHOUT ROWID""",
    };

    /** Fills version 4's run_events from the runs a file written before it holds. */
    private static final String BACKFILL_RUN_EVENTS = """
            INSERT OR IGNORE INTO run_events(event_id, run_id)
            SELECT json_extract(e.value, '$.id'), runs.id FROM runs, json_each(runs.events) e
            WHERE e.key > 0 AND json_extract(e.value, '$.id') IS NOT NULL""";

    private Schema() {}

    static void create(Statement s) throws SQLException {
        for (String ddl : DDL) {
            s.execute(ddl);
        }
        try (var rs = s.executeQuery("PRAGMA user_version")) {
            int version = rs.next() ? rs.getInt(1) : 0;
            rs.close();
            if (version < 4) {
                s.execute(BACKFILL_RUN_EVENTS);
            }
            if (version < VERSION) {
                s.execute("PRAGMA user_version = " + VERSION);
            }
        }
    }
}
