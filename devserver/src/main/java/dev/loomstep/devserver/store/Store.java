package dev.loomstep.devserver.store;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Event;
import dev.loomstep.protocol.WireError;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The devserver's durable state in one SQLite database (WAL mode): apps, functions, events, runs,
 * steps (memoized outputs in stack order), queue items (calls and timers with a due time) and pauses.
 *
 * <p>Every write goes through one writer thread ({@link Writer}) that commits many callers' units in one
 * transaction and returns to each caller only after that commit: SQLite has a single writer anyway, and
 * a unit runs whole before the next starts, which keeps "commit the step's output, then enqueue the next
 * call" atomic. {@link #tx} composes (a unit inside a unit joins it); {@link #afterCommit} defers work
 * (scheduling in memory) until the unit has committed.
 */
public final class Store implements AutoCloseable {
    /** Read-only connections of an on-disk database (see {@link Readers}); one per core of the target machine. */
    private static final int READERS = 2;

    private final Tables writer;
    private final Writer writes;
    /** Null in memory: the database is private to the writer's connection. */
    private final Readers readers;
    private final String description;
    private final SecretBox secrets;
    private final RunCounts runCounts = new RunCounts();
    private volatile boolean closed;

    /** Hears each commit of the writer: how many units it held and how long the commit itself took. */
    @FunctionalInterface
    public interface CommitListener {
        void committed(int units, long nanos);
    }

    private Store(String url, String description, boolean fullSync, boolean onDisk, SecretBox secrets) throws SQLException {
        this.description = description;
        this.secrets = secrets;
        Connection connection = DriverManager.getConnection(url);
        try (Statement s = connection.createStatement()) {
            s.execute("PRAGMA journal_mode=WAL");
            // NORMAL in WAL mode survives process crashes (only an OS crash or power loss may lose the
            // last commits); FULL syncs the WAL on every commit, so a commit survives those too.
            s.execute("PRAGMA synchronous=" + (fullSync ? "FULL" : "NORMAL"));
            s.execute("PRAGMA busy_timeout=5000");
            Schema.create(s);
        } catch (SQLException e) {
            connection.close();
            throw e;
        }
        connection.setAutoCommit(false);
        connection.commit();
        this.writer = new Tables(new Sql(connection));
        try {
            this.readers = onDisk ? new Readers(url, READERS) : null;
        } catch (SQLException e) {
            connection.close();
            throw e;
        }
        this.writes = new Writer(connection, "loomstep-store-writer");
        runCounts.set(tx(writer.runs::countByStatus));
    }

    /** Opens (creating if needed) the database file, with {@code synchronous=NORMAL}. */
    public static Store open(Path file) {
        return open(file, false);
    }

    /**
     * Opens (creating if needed) the database file. {@code fullSync}: {@code synchronous=FULL}, every
     * commit is synced to disk before its callers hear of it (survives power loss); otherwise
     * {@code NORMAL}, which survives a crash of the process but not of the machine.
     */
    public static Store open(Path file, boolean fullSync) {
        return open(file, fullSync, null);
    }

    /**
     * Opens (creating if needed) the database file, sealing secrets at rest with {@code secrets}; null:
     * the key file next to the database ({@link SecretBox#keyFile}).
     */
    public static Store open(Path file, boolean fullSync, SecretBox secrets) {
        try {
            Path abs = file.toAbsolutePath();
            if (abs.getParent() != null) {
                Files.createDirectories(abs.getParent());
            }
            return new Store("jdbc:sqlite:" + abs, abs.toString(), fullSync, true, secrets != null ? secrets : SecretBox.keyFile(abs));
        } catch (SQLException | java.io.IOException e) {
            throw new StoreException("cannot open the devserver database " + file + ": " + e.getMessage(), e);
        }
    }

    /** A database that lives only as long as this store. */
    public static Store inMemory() {
        try {
            return new Store("jdbc:sqlite::memory:", "in memory", false, false, SecretBox.ephemeral());
        } catch (SQLException e) {
            throw new StoreException("cannot open an in-memory SQLite database: " + e.getMessage(), e);
        }
    }

    /** Seals what a row must keep but nobody may read from the file (see {@link SecretBox}). */
    public SecretBox secrets() {
        return secrets;
    }

    /** The database file's absolute path, or "in memory". */
    public String description() {
        return description;
    }

    // ---------------------------------------------------------------- transactions

    /** Work inside a transaction. */
    @FunctionalInterface
    public interface Work<T> {
        T run() throws SQLException;
    }

    /**
     * Runs {@code work} as one unit of the writer's transaction, joining the caller's unit when there is
     * one. Returns after the commit that made it durable, once this unit's after-commit actions have run
     * (on the calling thread). A unit that throws is rolled back alone and its exception rethrown here.
     */
    public <T> T tx(Work<T> work) {
        return writes.submit(work::run);
    }

    public void txRun(Runnable work) {
        tx(() -> {
            work.run();
            return null;
        });
    }

    /** Runs {@code action} once the current unit has committed (dropped on rollback); at once outside a unit. */
    public void afterCommit(Runnable action) {
        if (!writes.defer(action)) {
            action.run();
        }
    }

    /**
     * Runs {@code action} if the current unit rolls back (dropped when it commits), on the caller's
     * thread once the unit has ended; for state kept in memory alongside the unit's writes. Outside a
     * unit there is nothing to roll back: false, and the action is dropped.
     */
    public boolean afterRollback(Runnable action) {
        return writes.onRollback(action);
    }

    /** Lets the units already submitted commit, then closes the database; later calls fail. */
    @Override
    public void close() {
        synchronized (writes) {
            if (closed) {
                return;
            }
            closed = true;
        }
        writes.close();
        try {
            if (readers != null) {
                readers.close();
            }
        } finally {
            try {
                writer.close();
            } catch (SQLException e) {
                throw new StoreException("closing the devserver database failed: " + e.getMessage(), e);
            }
        }
    }

    /** Transactions committed so far; each holds the units of one batch. */
    public long commits() {
        return writes.commits();
    }

    /** Units that went through the writer so far. */
    public long units() {
        return writes.units();
    }

    /** Runs by status now, from counts kept as runs start and end (no query). */
    public Map<RunStatus, Long> runCounts() {
        return runCounts.snapshot();
    }

    /** Sets who hears each commit (one listener; null for none). */
    public void onCommit(CommitListener listener) {
        writes.onCommit(listener);
    }

    /** Units waiting for the writer now. */
    int waiting() {
        return writes.waiting();
    }

    /** The writer connection's {@code PRAGMA synchronous} (a per-connection setting): 1 NORMAL, 2 FULL. */
    int synchronous() {
        return tx(() -> writer.sql.queryFirst("PRAGMA synchronous", rs -> rs.getInt(1)).orElseThrow());
    }

    // ---------------------------------------------------------------- apps and functions

    public void upsertApp(AppRecord app) {
        write(t -> t.apps.upsertApp(app));
    }

    /** Removes an app and its functions (its runs stay); false when there was no such app. */
    public boolean deleteApp(String appId) {
        return tx(() -> writer.apps.deleteApp(appId));
    }

    public List<AppRecord> apps() {
        return read(t -> t.apps.apps());
    }

    /** Replaces every function of {@code appId} with {@code functions} (a re-sync drops the missing ones). */
    public void replaceFunctions(String appId, List<FunctionRecord> functions) {
        write(t -> t.apps.replaceFunctions(appId, functions));
    }

    public List<FunctionRecord> functions() {
        return read(t -> t.apps.functions());
    }

    // ---------------------------------------------------------------- events

    /** Saves an event; false when an event with the same id was already received. */
    public boolean insertEvent(Event event, long receivedAt) {
        return tx(() -> writer.events.insertEvent(event, receivedAt));
    }

    public Optional<EventRecord> event(String id) {
        return read(t -> t.events.event(id));
    }

    public List<EventRecord> events(String name, int limit) {
        return read(t -> t.events.events(name, limit));
    }

    /**
     * Events, newest first: optionally only those named {@code name}, only those whose id is
     * {@code search} or whose name starts with it, without Inngest's own {@code inngest/...} events
     * unless {@code internal}, and only those received before the cursor ({@code beforeAt}, {@code beforeId}).
     */
    public List<EventRecord> events(String name, String search, boolean internal, Long beforeAt, String beforeId, int limit) {
        return read(t -> t.events.events(name, search, internal, beforeAt, beforeId, limit));
    }

    /** As above, only the events received at or after {@code from} and before {@code until} (epoch ms; each may be null). */
    public List<EventRecord> events(String name, String search, boolean internal, Long from, Long until, Long beforeAt,
                                    String beforeId, int limit) {
        return read(t -> t.events.events(name, search, internal, from, until, beforeAt, beforeId, limit));
    }

    // ---------------------------------------------------------------- runs

    public void insertRun(RunRecord r) {
        write(t -> {
            t.runs.insertRun(r);
            afterCommit(() -> runCounts.inserted(r.status()));
        });
    }

    public Optional<RunRecord> run(String id) {
        return read(t -> t.runs.run(id));
    }

    /** A run's status without decoding the rest of it (a hot path's check). */
    public Optional<RunStatus> runStatus(String id) {
        return read(t -> t.runs.status(id));
    }

    /** Runs, newest first, optionally filtered by status and function id. */
    public List<RunRecord> runs(RunStatus status, String functionId, int limit) {
        return read(t -> t.runs.runs(status, functionId, limit));
    }

    /** A page of runs (see {@link RunQuery}), newest first by {@link RunQuery#sortTime}. */
    /**
     * How many runs match {@code q} (its cursor and limit ignored). Without filters, or by status alone, from
     * the counts kept in memory; otherwise counted from the list's indexes.
     */
    public long countRuns(RunQuery q) {
        boolean noFunctions = q.functionIds() == null || q.functionIds().isEmpty();
        if (noFunctions && q.search() == null && q.from() == null && q.until() == null && q.deferred() == null) {
            Map<RunStatus, Long> counts = runCounts.snapshot();
            return q.statuses() == null || q.statuses().isEmpty() ? counts.values().stream().mapToLong(Long::longValue).sum()
                    : q.statuses().stream().distinct().mapToLong(st -> counts.getOrDefault(st, 0L)).sum();
        }
        return read(t -> t.runs.count(q));
    }

    public List<RunRecord> runs(RunQuery q) {
        return read(t -> t.runs.runs(q));
    }

    /** The runs a run started with {@code step.invoke}, oldest first. */
    public List<RunRecord> invokedBy(String runId) {
        return read(t -> t.runs.invokedBy(runId));
    }

    /** Marks {@code runId} as started by Rerun of {@code original}. */
    public void noteRerun(String runId, String original) {
        write(t -> t.runs.noteRerun(runId, original));
    }

    /** The run {@code runId} reran, if Rerun started it. */
    public Optional<String> rerunOf(String runId) {
        return read(t -> t.runs.rerunOf(runId));
    }

    /** The runs Rerun started from {@code runId}. */
    public List<String> reruns(String runId) {
        return read(t -> t.runs.reruns(runId));
    }

    /** The runs an event started: as their trigger, or as one of a batch's events. */
    public List<RunRecord> runsForEvent(String eventId) {
        return read(t -> t.runs.runsForEvent(eventId));
    }

    public void markStarted(String runId, long at) {
        write(t -> t.runs.markStarted(runId, at));
    }

    public void setDisableImmediate(String runId) {
        write(t -> t.runs.setDisableImmediate(runId));
    }

    public void setRequestVersion(String runId, int version) {
        write(t -> t.runs.setRequestVersion(runId, version));
    }

    /** Ends a running run; false when it had already ended (then nothing changes). */
    public boolean finishRun(String runId, RunStatus status, JsonNode output, WireError error, long at) {
        return tx(() -> {
            boolean ended = writer.runs.finishRun(runId, status, output, error, at);
            if (ended) {
                afterCommit(() -> runCounts.finished(status));
            }
            return ended;
        });
    }

    // ---------------------------------------------------------------- steps

    /** Every step of a run: memoized ones in stack order first, then the rest by start time. */
    public List<StepRecord> steps(String runId) {
        return read(t -> t.steps.steps(runId));
    }

    public Optional<StepRecord> step(String runId, String stepId) {
        return read(t -> t.steps.step(runId, stepId));
    }

    /**
     * Records what is known of a step that is not memoized: its name, op, status, attempts and start.
     * Existing names and start times are kept; a memoized step is never changed.
     */
    public void noteStep(String runId, String stepId, String name, String op, String status, int attempts,
                         WireError error, long startedAt) {
        write(t -> t.steps.noteStep(runId, stepId, name, op, status, attempts, error, startedAt));
    }

    /**
     * Gives a step that has not run yet the input it runs with ({@code {"input": [...]}} in the call's
     * {@code steps}, outside the stack): Rerun from a step with edited input. Memoizing the step replaces it.
     */
    public void noteStepInput(String runId, String stepId, String name, String op, JsonNode input) {
        write(t -> t.steps.noteInput(runId, stepId, name, op, input));
    }

    /**
     * Memoizes a step: saves {@code memo} (what the SDK gets back in {@code steps}) and appends the
     * step to the run's stack. False when the step was already memoized (then nothing changes).
     */
    public boolean memoize(String runId, String stepId, String name, String op, String status, JsonNode memo,
                           WireError error, int attempts, long startedAt, long endedAt) {
        return tx(() -> writer.steps.memoize(runId, stepId, name, op, status, memo, error, attempts, startedAt, endedAt));
    }

    /**
     * The place in the run's stack the next memoized step takes. Inside a unit ({@link #tx}) with the
     * {@link #memoizeAt} calls that use it, so nothing else memoizes a step of the run in between.
     */
    public long nextSeq(String runId) {
        return tx(() -> writer.steps.nextSeq(runId));
    }

    /**
     * {@link #memoize} at place {@code seq} of the run's stack, from {@link #nextSeq} in the same unit and
     * advanced by one for each step this returns true for.
     */
    public boolean memoizeAt(String runId, long seq, String stepId, String name, String op, String status, JsonNode memo,
                             WireError error, int attempts, long startedAt, long endedAt) {
        return tx(() -> writer.steps.memoizeAt(runId, seq, stepId, name, op, status, memo, error, attempts, startedAt, endedAt));
    }

    /** Saves what the UI shows of a step beyond its memo (replacing what was saved before). */
    public void noteStepDetail(String runId, String stepId, JsonNode detail) {
        write(t -> t.steps.noteStepDetail(runId, stepId, detail));
    }

    /** The saved details of a run's steps, by step id. */
    public Map<String, JsonNode> stepDetails(String runId) {
        return read(t -> t.steps.stepDetails(runId));
    }

    /** Records a failed attempt of a step (the same attempt twice keeps the first). */
    public void noteAttempt(AttemptRecord a) {
        write(t -> t.steps.noteAttempt(a));
    }

    /** The failed attempts of a run's steps, each step's in order. */
    public List<AttemptRecord> attempts(String runId) {
        return read(t -> t.steps.attempts(runId));
    }

    // ---------------------------------------------------------------- queue

    public QueueItem insertItem(String runId, QueueItem.Kind kind, String stepId, int attempt, long dueAt, JsonNode payload) {
        return tx(() -> writer.queue.insertItem(runId, kind, stepId, attempt, dueAt, payload));
    }

    /** Deletes a queue item; false when it no longer exists (already handled or cancelled). */
    public boolean deleteItem(long id) {
        return tx(() -> writer.queue.deleteItem(id));
    }

    /** Moves an item to a later attempt and due time; empty when it no longer exists. */
    public Optional<QueueItem> reschedule(QueueItem item, int attempt, long dueAt) {
        return tx(() -> writer.queue.reschedule(item, attempt, dueAt));
    }

    public List<QueueItem> items() {
        return read(t -> t.queue.items());
    }

    /** Every item of one kind, in due order. */
    public List<QueueItem> items(QueueItem.Kind kind) {
        return read(t -> t.queue.items(kind));
    }

    /**
     * The next {@code limit} pending timers, cron firings and discovery calls (every kind but STEP) due
     * strictly after {@code (dueAt, id)}, in due order: how the queue pages in what it does not hold.
     */
    public List<QueueItem> itemsAfter(long dueAt, long id, int limit) {
        return read(t -> t.queue.timersAndDiscoveriesAfter(dueAt, id, limit));
    }

    public List<QueueItem> items(String runId, QueueItem.Kind kind) {
        return read(t -> t.queue.items(runId, kind));
    }

    public Optional<QueueItem> item(String runId, QueueItem.Kind kind, String stepId) {
        return read(t -> t.queue.item(runId, kind, stepId));
    }

    public boolean itemExists(long id) {
        return read(t -> t.queue.itemExists(id));
    }

    public void deleteItems(String runId) {
        write(t -> t.queue.deleteItems(runId));
    }

    /** Deletes the cron items of a function (a re-sync schedules them anew). */
    public List<QueueItem> deleteCronItems(String functionId) {
        return tx(() -> writer.queue.deleteCronItems(functionId));
    }

    // ---------------------------------------------------------------- pauses

    public void insertPause(PauseRecord p) {
        write(t -> t.pauses.insertPause(p));
    }

    public Optional<PauseRecord> pause(String runId, String stepId) {
        return read(t -> t.pauses.pause(runId, stepId));
    }

    /** Consumes a pause; false when it was already consumed (resumed or timed out). */
    public boolean deletePause(String runId, String stepId) {
        return tx(() -> writer.pauses.deletePause(runId, stepId));
    }

    public List<PauseRecord> waitPausesFor(String eventName) {
        return read(t -> t.pauses.waitPausesFor(eventName));
    }

    public void deletePauses(String runId) {
        write(t -> t.pauses.deletePauses(runId));
    }

    // ---------------------------------------------------------------- flow control

    /** Saves (or replaces) the events held for a debounce or batch key. */
    public void holdEvents(HeldEvents held) {
        write(t -> t.flow.holdEvents(held));
    }

    /**
     * Deletes and returns the held events of a key, as committed: a run started from them in the same
     * unit starts exactly once. Empty when nothing is held for the key.
     */
    public Optional<HeldEvents> takeHeld(String kind, String key) {
        return tx(() -> {
            Optional<HeldEvents> held = writer.flow.heldEvents(kind, key);
            if (held.isPresent()) {
                writer.flow.releaseHeld(kind, key);
            }
            return held;
        });
    }

    /** Every holding, soonest due first. */
    public List<HeldEvents> heldEvents() {
        return read(t -> t.flow.heldEvents());
    }

    /** Saves (or replaces) one key's window. */
    public void saveWindow(FlowWindow window) {
        write(t -> t.flow.saveWindow(window));
    }

    /**
     * Saves {@code window} unless its key holds one that still matters at {@code now} (epoch ms): true
     * when saved (the key is claimed), false when an unexpired claim holds it. Decided in the caller's
     * unit, so a claim rolled back with its unit never blocks a later one.
     */
    public boolean claimWindow(FlowWindow window, long now) {
        return tx(() -> writer.flow.claimWindow(window, now));
    }

    /** The windows that still matter at {@code now} (epoch ms). */
    public List<FlowWindow> windows(long now) {
        return read(t -> t.flow.windows(now));
    }

    /** Deletes the windows that stopped mattering at {@code now} (epoch ms); returns how many. */
    public int dropExpiredWindows(long now) {
        return tx(() -> writer.flow.dropExpiredWindows(now));
    }

    /** The schema version recorded in the database file ({@code PRAGMA user_version}). */
    int schemaVersion() {
        return tx(() -> writer.sql.queryFirst("PRAGMA user_version", rs -> rs.getInt(1)).orElseThrow());
    }

    // ---------------------------------------------------------------- signals

    /** The run waiting for {@code signal}, if any (see {@link PauseRecord#SIGNAL}). */
    public Optional<PauseRecord> signalPause(String signal) {
        return read(t -> t.pauses.signalPause(signal));
    }

    /** Takes {@code signal} from the run waiting for it; that wait then only times out. */
    public void releaseSignal(String signal) {
        write(t -> t.pauses.releaseSignal(signal));
    }

    /**
     * Forgets every run, step, event, wait and pending queue item; synced apps, functions and cron
     * schedules stay. For {@code DevServer.reset()}: tests that share one devserver start clean.
     */
    public void clearRuns() {
        write(t -> {
            for (String sql : List.of("DELETE FROM pauses", "DELETE FROM queue WHERE kind <> 'CRON'", "DELETE FROM steps",
                    "DELETE FROM step_details", "DELETE FROM step_attempts", "DELETE FROM run_events", "DELETE FROM run_reruns", "DELETE FROM runs",
                    "DELETE FROM events", "DELETE FROM run_spans", "DELETE FROM event_traces", "DELETE FROM run_metadata",
                    "DELETE FROM run_defers")) {
                t.sql.update(sql);
            }
            afterCommit(() -> runCounts.set(Map.of()));
        });
    }

    /** Counts rows per table; for diagnostics and tests. */
    public Map<String, Long> counts() {
        return read(Tables::counts);
    }

    // ---------------------------------------------------------------- traces

    /** Saves spans an SDK sent (all in one unit); a span sent again replaces its first copy. */
    public void insertSpans(List<SpanRecord> spans) {
        write(t -> {
            for (SpanRecord s : spans) {
                t.spans.insert(s);
            }
        });
    }

    /** The spans SDKs sent for a run, in start order. */
    public List<SpanRecord> spans(String runId) {
        return read(t -> t.spans.spans(runId));
    }

    /** Keeps the W3C traceparent an event was sent with (joins the caller's unit, as the event's insert does). */
    public void noteEventTrace(String eventId, String traceparent) {
        write(t -> t.spans.noteEventTrace(eventId, traceparent));
    }

    /** The W3C traceparent an event was sent with, if it came with one. */
    public Optional<String> eventTrace(String eventId) {
        return read(t -> t.spans.eventTrace(eventId));
    }

    // ---------------------------------------------------------------- metadata

    /** One metadata update, as {@code POST /v1/runs/{runId}/metadata} or an op carries it. */
    public record MetadataUpdate(String stepHash, String stepId, Integer stepIndex, Integer attempt, String kind, String op,
                                 com.fasterxml.jackson.databind.node.ObjectNode values, long size) {}

    /**
     * Applies the updates in one unit, all or none: false (and nothing written) when they would take the
     * run past {@link MetadataRecord#MAX_RUN_BYTES}.
     */
    public boolean applyMetadata(String runId, List<MetadataUpdate> updates, long now) {
        return tx(() -> {
            long total = writer.metadata.runBytes(runId);
            for (MetadataUpdate u : updates) {
                total += u.size();
            }
            if (total > MetadataRecord.MAX_RUN_BYTES) {
                return false;
            }
            for (MetadataUpdate u : updates) {
                writer.metadata.apply(runId, u, now);
            }
            return true;
        });
    }

    /** A run's metadata: its own, then its steps', each by kind. */
    public List<MetadataRecord> metadata(String runId) {
        return read(t -> t.metadata.of(runId));
    }

    // ---------------------------------------------------------------- defers

    /**
     * Keeps a run's {@code DeferAdd}: a defer already held (an SDK's retransmit) is returned unchanged;
     * otherwise the one stored, {@link DeferRecord#REJECTED} with its reason when it breaks a limit (20 per
     * run, 4 MiB each and together, data a JSON object): as Inngest, the run goes on without it.
     */
    public DeferRecord addDefer(DeferRecord d) {
        return tx(() -> {
            Optional<DeferRecord> held = writer.defers.find(d.runId(), d.hashedId());
            if (held.isPresent()) {
                return held.get();
            }
            DeferRecord stored = d;
            if (d.reason() == null) {
                long[] accepted = writer.defers.accepted(d.runId());
                String reason = null;
                if (d.size() > DeferRecord.MAX_INPUT_BYTES) {
                    reason = "its data is " + d.size() + " bytes, over the limit of " + DeferRecord.MAX_INPUT_BYTES + " bytes (4 MiB) per defer";
                } else if (accepted[0] >= DeferRecord.MAX_PER_RUN) {
                    reason = "the run already has " + accepted[0] + " defers, the most a run may have";
                } else if (accepted[1] + d.size() > DeferRecord.MAX_INPUT_BYTES) {
                    reason = "the data of the run's defers would take " + (accepted[1] + d.size()) + " bytes, over the limit of "
                            + DeferRecord.MAX_INPUT_BYTES + " bytes (4 MiB) per run";
                }
                if (reason != null) {
                    stored = new DeferRecord(d.runId(), d.hashedId(), d.userlandId(), d.fnSlug(), null, 0, DeferRecord.REJECTED, reason,
                            null, d.createdAt(), d.updatedAt());
                }
            }
            writer.defers.insert(stored);
            return stored;
        });
    }

    /**
     * Aborts a defer that waits for its run's end; false when there is none to abort (unknown, already
     * aborted, rejected, or scheduled).
     */
    public boolean abortDefer(String runId, String hashedId, long now) {
        return tx(() -> writer.defers.move(runId, hashedId, DeferRecord.AFTER_RUN, DeferRecord.ABORTED, null, now));
    }

    /** Marks a defer scheduled by event {@code eventId}; false when it no longer waits (aborted, or scheduled before). */
    public boolean scheduleDefer(String runId, String hashedId, String eventId, long now) {
        return tx(() -> writer.defers.move(runId, hashedId, DeferRecord.AFTER_RUN, DeferRecord.SCHEDULED, eventId, now));
    }

    /** The runs a run deferred, in the order it deferred them. */
    public List<DeferRecord> defers(String runId) {
        return read(t -> t.defers.of(runId));
    }

    // ---------------------------------------------------------------- helpers

    @FunctionalInterface
    private interface Update {
        void run(Tables t) throws SQLException;
    }

    private void write(Update update) {
        tx(() -> {
            update.run(writer);
            return null;
        });
    }

    private <T> T read(Readers.Query<T> query) {
        if (readers == null || writes.insideUnit()) {
            return tx(() -> query.run(writer));
        }
        return readers.read(query);
    }
}
