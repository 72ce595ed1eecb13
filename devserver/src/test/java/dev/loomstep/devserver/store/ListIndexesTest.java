package dev.loomstep.devserver.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runs and events lists answer from indexes, whatever the database holds: every filter the list
 * offers is checked with SQLite's {@code EXPLAIN QUERY PLAN} on a database of {@value #DEFAULT_RUNS}
 * runs and as many events ({@code -Dloomstep.scale.runs=N} for another size). Each query must search or
 * scan an index in the list's order, never sort into a temporary B-tree nor scan the table; the time a
 * page takes through {@link Store} is printed ({@code [list-scale] ...}), not asserted: see the README.
 */
class ListIndexesTest {
    static final int DEFAULT_RUNS = 100_000;
    static final int RUNS = Integer.getInteger("loomstep.scale.runs", DEFAULT_RUNS);
    static final int FUNCTIONS = 20;
    static final long T0 = 1_780_000_000_000L;

    @TempDir
    Path dir;

    /** Status by row, independent of the function: 90% Completed, 5% Failed, 4% Cancelled, 1% Running. */
    static String status(int i) {
        int m = (i / FUNCTIONS) % 100;
        return m < 90 ? "Completed" : m < 95 ? "Failed" : m < 99 ? "Cancelled" : "Running";
    }

    static String fn(int i) {
        return "app-fn-" + (i % FUNCTIONS);
    }

    /** Fills a fresh store's file with RUNS runs (every 50th a batch of two events) and as many events (one in ten internal). */
    static Path fill(Path db) throws SQLException {
        Store.open(db).close(); // the schema, as the devserver creates it
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db)) {
            c.setAutoCommit(false);
            try (var runs = c.prepareStatement("INSERT INTO runs(id, function_id, event_id, events, status, created_at, started_at,"
                    + " ended_at) VALUES (?,?,?,?,?,?,?,?)");
                 var events = c.prepareStatement("INSERT INTO events(id, name, body, received_at) VALUES (?,?,?,?)");
                 var batch = c.prepareStatement("INSERT INTO run_events(event_id, run_id) VALUES (?,?)")) {
                for (int i = 0; i < RUNS; i++) {
                    String runId = String.format("r%09d", i);
                    String eventId = String.format("e%09d", i);
                    String name = i % 10 == 0 ? "inngest/function.finished" : "app/thing.happened";
                    long at = T0 + i * 10L;
                    String event = "{\"id\":\"" + eventId + "\",\"name\":\"" + name + "\",\"data\":{\"n\":" + i + "},\"ts\":" + at + "}";
                    events.setString(1, eventId);
                    events.setString(2, name);
                    events.setString(3, event);
                    events.setLong(4, at);
                    events.addBatch();
                    boolean batched = i % 50 == 0 && i > 0;
                    String second = String.format("e%09d", i - 1);
                    runs.setString(1, runId);
                    runs.setString(2, fn(i));
                    runs.setString(3, eventId);
                    runs.setString(4, batched ? "[" + event + ",{\"id\":\"" + second + "\",\"name\":\"" + name + "\",\"data\":{}}]" : "[" + event + "]");
                    runs.setString(5, status(i));
                    runs.setLong(6, at);
                    runs.setLong(7, at + 1);
                    if (status(i).equals("Running")) {
                        runs.setNull(8, java.sql.Types.INTEGER);
                    } else {
                        runs.setLong(8, at + 5);
                    }
                    runs.addBatch();
                    if (batched) {
                        batch.setString(1, second);
                        batch.setString(2, runId);
                        batch.addBatch();
                    }
                    if (i % 10_000 == 9_999) {
                        events.executeBatch();
                        runs.executeBatch();
                        batch.executeBatch();
                    }
                }
                events.executeBatch();
                runs.executeBatch();
                batch.executeBatch();
            }
            c.commit();
        }
        return db;
    }

    /** The plan's lines ("SEARCH runs USING INDEX ..."). */
    static List<String> plan(Connection c, String sql, List<Object> args) throws SQLException {
        try (var s = c.prepareStatement("EXPLAIN QUERY PLAN " + sql)) {
            for (int i = 0; i < args.size(); i++) {
                s.setObject(i + 1, args.get(i));
            }
            var out = new ArrayList<String>();
            try (var rs = s.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString("detail"));
                }
            }
            return out;
        }
    }

    static void assertIndexed(List<String> plan, String index, String what) {
        String text = String.join(" | ", plan);
        assertTrue(plan.stream().anyMatch(l -> l.contains("INDEX " + index)), what + " reads index " + index + ": " + text);
        assertFalse(text.contains("TEMP B-TREE"), what + " sorts nothing: " + text);
        assertFalse(plan.stream().anyMatch(l -> l.matches("SCAN (runs|events)")), what + " scans no table: " + text);
    }

    /** The median time of a page, in ms, printed with what it was. */
    static <T> T measure(String what, Supplier<List<T>> page, int expected) {
        List<T> last = null;
        long[] took = new long[41];
        for (int i = 0; i < 20; i++) {
            page.get(); // warm: the JIT and SQLite's page cache
        }
        for (int i = 0; i < took.length; i++) {
            long t = System.nanoTime();
            last = page.get();
            took[i] = System.nanoTime() - t;
        }
        Arrays.sort(took);
        System.out.printf("[list-scale] %-52s %7.3f ms/page (median of %d, %d runs)%n", what, took[took.length / 2] / 1e6, took.length, RUNS);
        assertEquals(expected, last.size(), what);
        return last.get(0);
    }

    @Test
    void everyFilterOfTheRunsAndEventsListsReadsAnIndexInTheListsOrder() throws Exception {
        Path db = fill(dir.resolve("scale.db"));
        RunQuery any = new RunQuery(List.of(), List.of(), null, null, null, null, 100);
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db)) {
            assertIndexed(plan(c, Runs.runsSql(List.of(), List.of(), any, "*"), Runs.runsArgs(List.of(), List.of(), any)),
                    "runs_by_start", "the unfiltered runs list");
            assertIndexed(plan(c, Runs.runsSql(List.of("Failed"), List.of(), any, "*"), Runs.runsArgs(List.of("Failed"), List.of(), any)),
                    "runs_by_status_start", "runs by status");
            assertIndexed(plan(c, Runs.runsSql(List.of("Failed"), List.of("app-fn-3"), any, "*"),
                    Runs.runsArgs(List.of("Failed"), List.of("app-fn-3"), any)), "runs_by_function_status_start", "runs by status and function");
            var paged = new RunQuery(List.of(), List.of(), T0, T0 + RUNS * 5L, null, new RunQuery.Cursor(T0 + RUNS * 4L, "r"), 100);
            assertIndexed(plan(c, Runs.runsSql(List.of("Completed"), List.of("app-fn-3"), paged, "*"),
                    Runs.runsArgs(List.of("Completed"), List.of("app-fn-3"), paged)), "runs_by_function_status_start",
                    "an older page of a time range, by status and function");
            var search = new RunQuery(List.of(), List.of(), null, null, "e000000049", null, 100);
            String searched = String.join(" | ", plan(c, Runs.runsSql(List.of(), List.of(), search, "*"), Runs.runsArgs(List.of(), List.of(), search)));
            assertFalse(searched.matches(".*SCAN runs( |$).*"), "a search by id reads keys: " + searched);
            var args = new ArrayList<Object>();
            assertIndexed(plan(c, Events.eventsSql(null, null, false, null, null, 100, args), args), "events_by_time_id",
                    "the events list without internal events");
            var ranged = new ArrayList<Object>();
            assertIndexed(plan(c, Events.eventsSql(null, null, false, T0, T0 + RUNS * 5L, null, null, 100, ranged), ranged),
                    "events_by_time_id", "the events list in a time range");
            for (RunQuery.TimeField field : RunQuery.TimeField.values()) {
                var q = new RunQuery(List.of("Completed").stream().map(RunStatus::valueOf).toList(), List.of("app-fn-3"), T0,
                        T0 + RUNS * 5L, null, null, 100, field);
                assertIndexed(plan(c, Runs.runsSql(List.of("Completed"), List.of("app-fn-3"), q, "*"),
                        Runs.runsArgs(List.of("Completed"), List.of("app-fn-3"), q)), "runs_by_function_status_start",
                        "runs by status and function in a range of their " + field + " time");
            }
            // the exact total counts from the same indexes, reading no run's row
            String count = "SELECT COUNT(*) FROM (" + Runs.runsSql(List.of("Completed"), List.of("app-fn-3"), any, "id") + ")";
            String counted = String.join(" | ", plan(c, count, Runs.runsArgs(List.of("Completed"), List.of("app-fn-3"), any)));
            assertTrue(counted.contains("COVERING INDEX runs_by_function_status_start"), "a count reads the index alone: " + counted);
        }
        try (Store store = Store.open(db)) {
            measure("runs: unfiltered", () -> store.runs(new RunQuery(List.of(), List.of(), null, null, null, null, 100)), 100);
            measure("runs: status Failed", () -> store.runs(new RunQuery(List.of(RunStatus.Failed), List.of(), null, null, null, null, 100)), 100);
            measure("runs: function app-fn-3", () -> store.runs(new RunQuery(List.of(), List.of("app-fn-3"), null, null, null, null, 100)), 100);
            RunRecord newest = measure("runs: status Failed + function app-fn-3", () -> store.runs(
                    new RunQuery(List.of(RunStatus.Failed), List.of("app-fn-3"), null, null, null, null, 100)), 100);
            assertEquals("Failed", newest.status().name());
            assertEquals("app-fn-3", newest.functionId());
            measure("runs: statuses Failed,Cancelled + function app-fn-3", () -> store.runs(new RunQuery(
                    List.of(RunStatus.Failed, RunStatus.Cancelled), List.of("app-fn-3"), null, null, null, null, 100)), 100);
            measure("runs: search by a batch's second event", () -> store.runs(
                    new RunQuery(List.of(), List.of(), null, null, String.format("e%09d", 49), null, 100)), 2);
            measure("events: newest, without inngest/ events", () -> store.events(null, null, false, null, null, 100), 100);
            measure("runs: ended in the newest half, function app-fn-3", () -> store.runs(new RunQuery(List.of(), List.of("app-fn-3"),
                    T0 + RUNS * 5L, null, null, null, 100, RunQuery.TimeField.ENDED)), 100);
            long perFunction = RUNS / FUNCTIONS;
            assertEquals(perFunction, count("runs: count of function app-fn-3", () -> store.countRuns(
                    new RunQuery(List.of(), List.of("app-fn-3"), null, null, null, null, 1))));
            assertEquals((long) RUNS, count("runs: count of all (kept in memory)", () -> store.countRuns(
                    new RunQuery(List.of(), List.of(), null, null, null, null, 1))));
        }
    }

    /** The median time of a count, in ms, printed with what it was; answers the count. */
    static long count(String what, Supplier<Long> count) {
        long last = 0;
        long[] took = new long[15];
        for (int i = 0; i < took.length; i++) {
            long t = System.nanoTime();
            last = count.get();
            took[i] = System.nanoTime() - t;
        }
        Arrays.sort(took);
        System.out.printf("[list-scale] %-52s %7.3f ms (median of %d, %d runs)%n", what, took[took.length / 2] / 1e6, took.length, RUNS);
        return last;
    }

    @Test
    void aBatchsOtherEventsFindTheirRunInAFileWrittenBeforeTheyWereIndexed() throws Exception {
        Path db = dir.resolve("v3.db");
        Store.open(db).close();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); var s = c.createStatement()) {
            s.execute("INSERT INTO runs(id, function_id, event_id, events, status, created_at) VALUES ('r1', 'app-fn', 'e1',"
                    + " '[{\"id\":\"e1\",\"name\":\"a\",\"data\":{}},{\"id\":\"e2\",\"name\":\"a\",\"data\":{}}]', 'Completed', 1)");
            s.execute("DELETE FROM run_events");
            s.execute("PRAGMA user_version = 3");
        }
        try (Store store = Store.open(db)) {
            assertEquals(Schema.VERSION, store.schemaVersion());
            assertEquals(List.of("r1"), store.runsForEvent("e2").stream().map(RunRecord::id).toList(), "the second event finds its run");
            assertEquals(List.of("r1"), store.runsForEvent("e1").stream().map(RunRecord::id).toList(), "the first, as before");
        }
    }
}
