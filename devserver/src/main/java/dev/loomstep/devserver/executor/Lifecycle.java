package dev.loomstep.devserver.executor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loomstep.Event;
import dev.loomstep.devserver.cron.CronJitter;
import dev.loomstep.devserver.flow.Cancellations;
import dev.loomstep.devserver.internal.Ulid;
import dev.loomstep.devserver.queue.WorkQueue;
import dev.loomstep.devserver.flow.FlowControl;
import dev.loomstep.devserver.executor.Policies;
import dev.loomstep.devserver.store.FunctionRecord;
import dev.loomstep.devserver.store.PauseRecord;
import dev.loomstep.devserver.store.QueueItem;
import dev.loomstep.devserver.store.QueueItem.Kind;
import dev.loomstep.devserver.store.RunRecord;
import dev.loomstep.devserver.store.RunStatus;
import dev.loomstep.devserver.store.Store;
import dev.loomstep.devserver.trigger.TriggerMatcher;
import dev.loomstep.flow.CancelOn;
import dev.loomstep.protocol.Json;
import dev.loomstep.protocol.SyncRequest.TriggerConfig;
import dev.loomstep.protocol.WireError;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import dev.loomstep.internal.RunLines;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything that starts, resumes or ends runs: incoming events (trigger matching, waitForEvent
 * pauses, cancel-on), syncs (cron schedules), run completion (invoke parents, the
 * {@code inngest/function.finished|failed|cancelled} events), and cancellation. Every method joins the
 * caller's store transaction, so an event and the runs it starts are saved together.
 */
public final class Lifecycle {
    private static final Logger LOG = LoggerFactory.getLogger(Lifecycle.class);
    /**
     * Run starts and completions are logged one by one up to ten a second each; past that, one summary line
     * a second (the runs are all in the REST API and the UI). Failures are always logged.
     */
    private static final RunLines STARTED = new RunLines(10, n -> LOG.info(
            "{} more runs started in the last second (one line each resumes below 10 a second)", n));
    private static final RunLines COMPLETED = new RunLines(10, n -> LOG.info(
            "{} more runs completed in the last second (one line each resumes below 10 a second; failures are always logged)", n));

    public static final String INVOKED = "inngest/function.invoked";
    public static final String FINISHED = "inngest/function.finished";
    public static final String FAILED = "inngest/function.failed";
    public static final String CANCELLED = "inngest/function.cancelled";
    public static final String SCHEDULED = "inngest/scheduled.timer";

    private final Store store;
    private final WorkQueue queue;
    private final Registry registry;
    private final Policies policies;
    private final TriggerMatcher matcher;
    private final InstantSource clock;
    private final RunWaits waits;
    private final RunEnds runEnds = new RunEnds();
    private final Deferrals deferrals = new Deferrals(this);
    private final PlannedState planned = new PlannedState();
    private final PendingPauses pendingPauses = new PendingPauses();

    public Lifecycle(Store store, WorkQueue queue, Registry registry, Policies policies) {
        this(store, queue, registry, policies, InstantSource.system());
    }

    /**
     * @param clock the devserver's "now": run and step times, due times of calls and timers, and cron
     *              firings are all read from it (tests move it forward to make a cron due)
     */
    public Lifecycle(Store store, WorkQueue queue, Registry registry, Policies policies, InstantSource clock) {
        this.clock = clock;
        this.waits = new RunWaits(clock);
        this.store = store;
        this.queue = queue;
        this.registry = registry;
        this.policies = policies;
        this.matcher = new TriggerMatcher(policies.expressions());
        policies.flowControl().attach((functionId, events) -> {
            FunctionRecord fn = registry.function(functionId);
            return fn == null ? null : startRun(fn, events, null);
        }, this::cancel, store);
    }

    public Store store() {
        return store;
    }

    public Registry registry() {
        return registry;
    }

    public Policies policies() {
        return policies;
    }

    /** Which runs wait for a concurrency slot (in memory). */
    public RunWaits waits() {
        return waits;
    }

    /** What the queue holds in memory (a window of the pending items; the rest stay in the store). */
    public WorkQueue.Stats queueStats() {
        return queue.stats();
    }

    /** Signals each run's end after it committed; the REST API's wait for a run's end uses it. */
    /** The state targeted calls of planned fan-outs carry, read once per plan. */
    PlannedState plannedState() {
        return planned;
    }

    /** Pauses planned together with steps, which a discovery call waits for. */
    PendingPauses pendingPauses() {
        return pendingPauses;
    }

    /**
     * Targeted calls since start: how many read and serialised their run's state ({@code state_reads}: one
     * per plan) and how many reused what a sibling of the same plan read ({@code state_reuses}).
     */
    public record TargetedCallStats(long stateReads, long stateReuses) {}

    public TargetedCallStats targetedCallStats() {
        return new TargetedCallStats(planned.reads(), planned.reuses());
    }

    /** The runs each run deferred ({@code step.defer}). */
    public Deferrals deferrals() {
        return deferrals;
    }

    public RunEnds runEnds() {
        return runEnds;
    }

    /** Where the devserver reads the time; the queue runs items when this clock reaches their due time. */
    public InstantSource clock() {
        return clock;
    }

    // ---------------------------------------------------------------- events

    /**
     * Saves events (with id and ts already set) and acts on each new one: starts the runs it triggers,
     * resumes the waitForEvent pauses it matches, cancels the runs it cancels. An event whose id was
     * already received is ignored.
     */
    public void ingest(List<Event> events) {
        ingest(events, null);
    }

    /**
     * As {@link #ingest(List)}, for events sent with a W3C {@code traceparent} (the sender's span): the runs
     * they start are calls in the sender's trace ({@link RunTraces}).
     */
    public void ingest(List<Event> events, String traceparent) {
        store.txRun(() -> {
            long now = clock.millis();
            for (Event e : events) {
                if (!store.insertEvent(e, now)) {
                    LOG.debug("event {} ({}) was already received; it triggers nothing again", e.id(), e.name());
                    continue;
                }
                if (traceparent != null) {
                    store.noteEventTrace(e.id(), traceparent);
                }
                startRuns(e);
                resumeWaits(e);
                cancelMatching(e);
            }
        });
    }

    private void startRuns(Event e) {
        if (INVOKED.equals(e.name())) {
            // An invocation starts exactly the function it names, whatever the triggers say.
            JsonNode meta = e.data().path("_inngest");
            String fnId = meta.path("fn_id").asText(null);
            FunctionRecord fn = registry.function(fnId);
            if (fn == null) {
                LOG.warn("event {} invokes function {}, which no synced app has", e.id(), fnId);
                return;
            }
            createRun(fn, List.of(e), meta.path("correlation_id").asText(null));
            return;
        }
        for (FunctionRecord fn : registry.functions()) {
            if (matcher.matches(fn, e)) {
                createRun(fn, List.of(e), null);
            }
        }
    }

    /** Creates a run (unless flow control skips it) and queues its first call; returns its id. */
    public Optional<String> createRun(FunctionRecord fn, List<Event> events, String invoker) {
        return store.tx(() -> {
            Instant now = clock.instant();
            FlowControl.Admission admission;
            try {
                admission = policies.flowControl().admit(fn, events, now);
            } catch (RuntimeException ex) {
                LOG.error("flow control failed for function {}; starting the run anyway", fn.id(), ex);
                admission = new FlowControl.Admission.Start(now);
            }
            return switch (admission) {
                case FlowControl.Admission.Skip skip -> {
                    LOG.info("function {}: no run for event {}: {}", fn.id(), events.get(0).id(), skip.reason());
                    yield Optional.<String>empty();
                }
                case FlowControl.Admission.Held held -> {
                    LOG.debug("function {}: event {} held: {}", fn.id(), events.get(0).id(), held.reason());
                    yield Optional.<String>empty();
                }
                case FlowControl.Admission.Start start -> Optional.of(insertRun(fn, events, invoker, now,
                        start.at() == null ? now : start.at()));
            };
        });
    }

    /** Starts a run now, past flow control (for runs it held and now releases). */
    private String startRun(FunctionRecord fn, List<Event> events, String invoker) {
        return store.tx(() -> {
            Instant now = clock.instant();
            return insertRun(fn, events, invoker, now, now);
        });
    }

    private String insertRun(FunctionRecord fn, List<Event> events, String invoker, Instant now, Instant at) {
        String runId = Ulid.next();
        RunRecord run = new RunRecord(runId, fn.id(), events.get(0).id(), List.copyOf(events), RunStatus.Running,
                null, null, now.toEpochMilli(), null, null, false, SdkClient.VERSION_UNKNOWN, invoker);
        store.insertRun(run);
        enqueue(runId, Kind.DISCOVER, null, 0, at.toEpochMilli(), null);
        policies.flowControl().runCreated(fn, run);
        if (STARTED.allow()) {
            LOG.info("run {} of {} started by {} ({})", runId, fn.id(), events.get(0).name(), events.get(0).id());
        }
        return runId;
    }

    private void resumeWaits(Event e) {
        long now = clock.millis();
        for (PauseRecord p : store.waitPausesFor(e.name())) {
            if (p.expiresAt() < now) {
                continue; // its timeout item resumes it with null
            }
            RunRecord run = store.run(p.runId()).orElse(null);
            if (run == null || run.status().finished()) {
                store.deletePause(p.runId(), p.stepId());
                continue;
            }
            boolean matches;
            try {
                matches = policies.expressions().waitFor(p.expression(), p.match(), run.event(), e);
            } catch (RuntimeException ex) {
                LOG.warn("run {}: waitForEvent condition {} could not be evaluated for event {}, so it does not match: {}",
                        run.id(), p.expression() != null ? p.expression() : p.match(), e.id(), ex.getMessage());
                matches = false;
            }
            if (matches && store.deletePause(p.runId(), p.stepId())) {
                deleteTimer(run.id(), Kind.WAIT_TIMEOUT, p.stepId());
                // The whole event, not wrapped in {data}: that is what SDKs expect for waitForEvent.
                memoizeAndContinue(run.id(), p.stepId(), null, "WaitForEvent", "completed", Json.toTree(e), null, 0, now);
            }
        }
    }

    /** Cancels the running runs whose functions' {@code cancel} rules {@code e} satisfies ({@link Cancellations}). */
    private void cancelMatching(Event e) {
        Instant now = clock.instant();
        for (FunctionRecord fn : registry.functions()) {
            List<CancelOn> cancels = fn.config().cancel();
            if (cancels == null || cancels.stream().noneMatch(c -> c != null && e.name().equals(c.event()))) {
                continue; // no rule names this event: do not load the function's running runs (there may be 100,000)
            }
            for (RunRecord run : store.runs(RunStatus.Running, fn.id(), Integer.MAX_VALUE)) {
                if (run.events().stream().anyMatch(x -> e.id().equals(x.id()))) {
                    continue; // a run is never cancelled by its own trigger
                }
                for (CancelOn c : cancels) {
                    boolean matches;
                    try {
                        matches = c != null && Cancellations.cancels(c, e.name(), Instant.ofEpochMilli(run.createdAt()), now,
                                condition -> policies.expressions().cancel(condition, run.event(), e));
                    } catch (RuntimeException ex) {
                        LOG.warn("run {}: cancel condition {} could not be evaluated for event {}, so it does not cancel: {}",
                                run.id(), c.ifExpression(), e.id(), ex.getMessage());
                        matches = false;
                    }
                    if (matches) {
                        cancel(run.id(), "cancelled by event " + e.name() + " (" + e.id() + ")");
                        break;
                    }
                }
            }
        }
    }

    // ---------------------------------------------------------------- queue helpers

    /** Saves a queue item and schedules it once the transaction commits. */
    public QueueItem enqueue(String runId, Kind kind, String stepId, int attempt, long dueAt, JsonNode payload) {
        return store.tx(() -> {
            QueueItem item = store.insertItem(runId, kind, stepId, attempt, dueAt, payload);
            store.afterCommit(() -> queue.offer(item));
            return item;
        });
    }

    /**
     * Queues a discovery call for a run, unless one is already waiting (it will see the new state: it
     * loads the run when it starts, after this transaction commits).
     */
    public void enqueueDiscover(String runId) {
        store.txRun(() -> {
            if (pendingPauses.holdsDiscovery(runId, stepId -> Executor.isMemoized(store, runId, stepId))) {
                return; // the last of them to end queues it
            }
            for (QueueItem existing : store.items(runId, Kind.DISCOVER)) {
                if (!queue.isRunning(existing.id())) {
                    return;
                }
            }
            enqueue(runId, Kind.DISCOVER, null, 0, clock.millis(), null);
        });
    }

    /** Deletes the timer of a step (its pause was resumed another way). */
    public void deleteTimer(String runId, Kind kind, String stepId) {
        store.txRun(() -> store.item(runId, kind, stepId).ifPresent(item -> {
            store.deleteItem(item.id());
            store.afterCommit(() -> queue.forget(item.id()));
        }));
    }

    /** Memoizes a step and, when that is news, queues the discovery call that continues the run. */
    public void memoizeAndContinue(String runId, String stepId, String name, String op, String status, JsonNode memo,
                                   WireError error, int attempts, long startedAt) {
        store.txRun(() -> {
            if (store.memoize(runId, stepId, name, op, status, memo, error, attempts, startedAt, clock.millis())) {
                enqueueDiscover(runId);
            }
        });
    }

    // ---------------------------------------------------------------- ending runs

    public void complete(String runId, JsonNode output) {
        finish(runId, RunStatus.Completed, output == null ? Json.nodes().nullNode() : output, null);
    }

    public void fail(String runId, WireError error) {
        finish(runId, RunStatus.Failed, null, error);
    }

    /** Cancels a running run; false when it is unknown or already ended. */
    public boolean cancel(String runId, String reason) {
        LOG.info("run {}: {}", runId, reason);
        return finish(runId, RunStatus.Cancelled, null, WireError.of("FunctionCancelledError", reason));
    }

    private boolean finish(String runId, RunStatus status, JsonNode output, WireError error) {
        return store.tx(() -> {
            RunRecord run = store.run(runId).orElse(null);
            long now = clock.millis();
            if (run == null || !store.finishRun(runId, status, output, status == RunStatus.Completed ? null : error, now)) {
                return false;
            }
            store.deleteItems(runId);
            store.deletePauses(runId);
            store.afterCommit(() -> {
                queue.forgetRun(runId);
                waits.released(runId);
                planned.forget(runId);
                pendingPauses.forget(runId);
                runEnds.ended(runId);
            });
            FunctionRecord fn = registry.function(run.functionId());
            if (fn != null) {
                store.afterCommit(() -> {
                    try {
                        policies.flowControl().runFinished(fn, run);
                    } catch (RuntimeException e) {
                        LOG.error("flow control failed on the end of run {}", runId, e);
                    }
                });
            }
            if (status == RunStatus.Failed) {
                LOG.info("run {} of {} failed: {}: {}", runId, run.functionId(), error.name(), error.message());
            } else if (status == RunStatus.Completed && COMPLETED.allow()) {
                LOG.info("run {} of {} completed", runId, run.functionId());
            }
            if (run.invoker() != null) {
                resumeInvoker(run, status, output, error);
            }
            emitFinished(run, status, output, error, now);
            deferrals.runEnded(run, now);
            return true;
        });
    }

    private void resumeInvoker(RunRecord child, RunStatus status, JsonNode output, WireError error) {
        int dot = child.invoker().indexOf('.');
        if (dot <= 0) {
            return;
        }
        String parentId = child.invoker().substring(0, dot);
        String stepId = child.invoker().substring(dot + 1);
        if (!store.deletePause(parentId, stepId)) {
            return; // the parent timed out, was cancelled, or already got this result
        }
        deleteTimer(parentId, Kind.INVOKE_TIMEOUT, stepId);
        ObjectNode memo = Json.nodes().objectNode();
        if (status == RunStatus.Completed) {
            memo.set("data", output == null ? Json.nodes().nullNode() : output);
        } else {
            memo.set("error", Json.toTree(error));
        }
        memoizeAndContinue(parentId, stepId, null, "InvokeFunction", status == RunStatus.Completed ? "completed" : "failed",
                memo, status == RunStatus.Completed ? null : error, 0, clock.millis());
    }

    /**
     * Emits {@code inngest/function.finished} (and {@code .failed} / {@code .cancelled}) with the shape
     * Inngest gives them, so onFailure functions and listeners are triggered by normal matching. Runs
     * started by those events emit nothing, so handlers never trigger themselves.
     */
    private void emitFinished(RunRecord run, RunStatus status, JsonNode output, WireError error, long now) {
        Event trigger = run.event();
        if (trigger == null || FINISHED.equals(trigger.name()) || FAILED.equals(trigger.name()) || CANCELLED.equals(trigger.name())) {
            return;
        }
        ObjectNode data = Json.nodes().objectNode();
        data.put("function_id", run.functionId());
        data.put("run_id", run.id());
        data.set("event", Json.toTree(trigger));
        data.set("events", Json.toTree(run.events()));
        if (status == RunStatus.Completed) {
            data.set("result", output == null ? Json.nodes().nullNode() : output);
        } else {
            data.set("error", Json.toTree(error));
        }
        String correlation = trigger.data().path("_inngest").path("correlation_id").asText(null);
        if (correlation != null) {
            data.put("correlation_id", correlation);
        }
        data.putObject("_inngest").put("status", status.name());
        var out = new ArrayList<Event>();
        out.add(new Event(Ulid.next(), FINISHED, data, null, now, null));
        if (status == RunStatus.Failed) {
            // The run id as event id: a second failure report of the same run is deduplicated.
            out.add(new Event(run.id(), FAILED, data.deepCopy(), null, now, null));
        } else if (status == RunStatus.Cancelled) {
            out.add(new Event(run.id(), CANCELLED, data.deepCopy(), null, now, null));
        }
        ingest(out);
    }

    // ---------------------------------------------------------------- cron

    /** (Re)schedules the cron triggers of the synced functions; drops those of functions gone. */
    public void scheduleCrons(List<String> removedFunctionIds) {
        store.txRun(() -> {
            for (String id : removedFunctionIds) {
                for (QueueItem old : store.deleteCronItems(id)) {
                    store.afterCommit(() -> queue.forget(old.id()));
                }
            }
            for (FunctionRecord fn : registry.functions()) {
                for (QueueItem old : store.deleteCronItems(fn.id())) {
                    store.afterCommit(() -> queue.forget(old.id()));
                }
                if (fn.config().triggers() == null) {
                    continue;
                }
                for (TriggerConfig t : fn.config().triggers()) {
                    if (t != null && t.cron() != null && !t.cron().isBlank()) {
                        scheduleCron(fn.id(), t.cron(), t.jitter(), clock.instant());
                    }
                }
            }
        });
    }

    private void scheduleCron(String functionId, String cron, Duration jitter, Instant after) {
        try {
            policies.schedules().next(cron, after).ifPresent(at -> {
                // "at" keeps the scheduled time: with a jitter the item is due later, the schedule goes on from "at".
                ObjectNode payload = Json.nodes().objectNode().put("cron", cron).put("at", at.toEpochMilli());
                Instant due = CronJitter.due(at, jitter, ThreadLocalRandom.current());
                enqueue(null, Kind.CRON, functionId, 0, due.toEpochMilli(), payload);
            });
        } catch (RuntimeException e) {
            LOG.warn("function {}: cron \"{}\" is not scheduled: {}", functionId, cron, e.getMessage());
        }
    }

    /** A cron item is due: start the run with an {@code inngest/scheduled.timer} event, schedule the next. */
    public void fireCron(QueueItem item) {
        store.txRun(() -> {
            if (!store.deleteItem(item.id())) {
                return;
            }
            String cron = item.payload() == null ? null : item.payload().path("cron").asText(null);
            FunctionRecord fn = registry.function(item.stepId());
            TriggerConfig trigger = fn == null || cron == null || fn.config().triggers() == null ? null
                    : fn.config().triggers().stream().filter(t -> t != null && cron.equals(t.cron())).findFirst().orElse(null);
            if (trigger == null) {
                return;
            }
            long now = clock.millis();
            ObjectNode data = Json.nodes().objectNode().put("cron", cron);
            Event e = new Event(Ulid.next(), SCHEDULED, data, null, now, null);
            store.insertEvent(e, now);
            createRun(fn, List.of(e), null);
            Instant scheduled = Instant.ofEpochMilli(item.payload().path("at").asLong(item.dueAt()));
            scheduleCron(fn.id(), cron, trigger.jitter(),
                    CronJitter.nextAfter(scheduled, Instant.ofEpochMilli(now), trigger.jitter()));
        });
    }
}
