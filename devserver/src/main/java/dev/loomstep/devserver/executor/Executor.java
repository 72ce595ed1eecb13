package dev.loomstep.devserver.executor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loomstep.devserver.queue.WorkQueue;
import dev.loomstep.devserver.store.AttemptRecord;
import dev.loomstep.devserver.store.FunctionRecord;
import dev.loomstep.devserver.store.QueueItem;
import dev.loomstep.devserver.store.QueueItem.Kind;
import dev.loomstep.devserver.store.RunRecord;
import dev.loomstep.devserver.store.StepRecord;
import dev.loomstep.devserver.store.Store;
import dev.loomstep.devserver.store.StoreException;
import dev.loomstep.protocol.CallRequest;
import dev.loomstep.protocol.Json;
import dev.loomstep.protocol.Op;
import dev.loomstep.protocol.TimeStrings;
import dev.loomstep.protocol.WireError;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Does the work of queue items: calls the SDK for DISCOVER and STEP items and acts on the answer
 * (memoize, retry, plan targeted calls, sleep, wait, invoke, complete, fail), and fires timers.
 *
 * <p>Each outcome is committed in one transaction together with the follow-up queue items, so a
 * step's output is durable before the next call for its run is made, and a crash at any point leaves
 * either the old item (to redo) or the new state and its follow-ups.
 */
public final class Executor {
    private static final Logger LOG = LoggerFactory.getLogger(Executor.class);

    private final Store store;
    private final Lifecycle lifecycle;
    private final Registry registry;
    private final SdkClient client;
    private final Backoff backoff;
    private final Dispatches dispatches;
    private final SdkTransport transport;
    private final Gateways gateways;
    private final SignalWaits signals;
    private final ParkedSteps parked;
    private final AppCalls appCalls;
    /** Unanswered calls retried without spending an attempt, by queue item (in memory: a restart forgets them). */
    private final java.util.concurrent.ConcurrentHashMap<Long, Integer> refusals = new java.util.concurrent.ConcurrentHashMap<>();
    /** The most unanswered calls an item is retried for free, while its app answers others; then they count. */
    static final int FREE_REFUSALS = 10;
    /** How recently the app must have answered a call for a failed connection to count as overload, not as down. */
    static final long UP_WITHIN_MILLIS = 10_000;
    private WorkQueue queue;

    public Executor(Lifecycle lifecycle, SdkClient client, Backoff backoff) {
        this(lifecycle, client, backoff, new Dispatches());
    }

    /** @param dispatches the calls in flight, shared with the checkpoint API */
    public Executor(Lifecycle lifecycle, SdkClient client, Backoff backoff, Dispatches dispatches) {
        this(lifecycle, client, backoff, dispatches, SdkTransport.http(client));
    }

    /** @param transport how calls reach SDKs (HTTP, or a Connect worker for apps served over Connect) */
    public Executor(Lifecycle lifecycle, SdkClient client, Backoff backoff, Dispatches dispatches, SdkTransport transport) {
        this(lifecycle, client, backoff, dispatches, transport, new AppCalls(AppCalls.DEFAULT_PER_APP));
    }

    /** @param appCalls the bound on calls in flight per app endpoint */
    public Executor(Lifecycle lifecycle, SdkClient client, Backoff backoff, Dispatches dispatches, SdkTransport transport,
                    AppCalls appCalls) {
        this.appCalls = appCalls;
        this.transport = transport;
        this.dispatches = dispatches;
        this.lifecycle = lifecycle;
        this.store = lifecycle.store();
        this.registry = lifecycle.registry();
        this.client = client;
        this.backoff = backoff;
        this.gateways = new Gateways(lifecycle, backoff, client.callTimeout());
        this.signals = new SignalWaits(lifecycle);
        this.parked = new ParkedSteps(lifecycle);
    }

    /** The queue whose items this executor handles (set once, before it starts). */
    public void attach(WorkQueue queue) {
        this.queue = queue;
    }

    /** The queue's handler. Never throws: an unexpected failure leaves the item for a later retry. */
    public void handle(QueueItem item) {
        try {
            switch (item.kind()) {
                case DISCOVER, STEP -> call(item);
                case WAKE -> parked.wake(item);
                case WAIT_TIMEOUT -> parked.waitTimeout(item);
                case INVOKE_TIMEOUT -> parked.invokeTimeout(item);
                case CRON -> lifecycle.fireCron(item);
                case GATEWAY -> gateways.perform(item, queue);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // shutting down: the item stays in the store for the next start
        } catch (RuntimeException e) {
            if (queue.closing()) {
                return;
            }
            LOG.error("{} item {} of run {} failed inside the devserver; trying again in 1 s", item.kind(), item.id(), item.runId(), e);
            try {
                store.reschedule(item, item.attempt(), lifecycle.clock().millis() + 1_000).ifPresent(queue::offer);
            } catch (StoreException again) {
                LOG.error("could not reschedule item {}; it runs again after a restart", item.id(), again);
            }
        }
    }

    // ---------------------------------------------------------------- calls

    private void call(QueueItem item) throws InterruptedException {
        RunRecord run = store.run(item.runId()).orElse(null);
        if (run == null || run.status().finished()) {
            store.deleteItem(item.id());
            return;
        }
        FunctionRecord fn = registry.function(run.functionId());
        if (fn == null) {
            store.txRun(() -> {
                store.deleteItem(item.id());
                lifecycle.fail(run.id(), WireError.of("FunctionNotFound", "function \"" + run.functionId()
                        + "\" is no longer synced by any app; re-sync its app to continue new runs"));
            });
            return;
        }
        // The app's turn first (a call past its bound waits here, before anything is built or sent), then
        // flow control: a call held by a concurrency limit gives its turn back at once.
        try (AppCalls.Permit turn = appCalls.acquire(fn.url())) {
            if (turn.waited() && !store.itemExists(item.id())) {
                return; // the run ended (or the item was replaced) while the call waited for its turn
            }
            Duration hold = lifecycle.policies().flowControl().beforeCall(fn, run);
            if (hold != null && hold.isPositive()) {
                // Concurrency is full: wait outside the SDK, without spending an attempt.
                lifecycle.waits().heldByConcurrency(run.id());
                store.reschedule(item, item.attempt(), lifecycle.clock().millis() + hold.toMillis()).ifPresent(queue::offer);
                return;
            }
            lifecycle.waits().released(run.id());
            try {
                callSdk(item, run, fn);
            } finally {
                lifecycle.policies().flowControl().afterCall(fn, run);
            }
        }
    }

    private void callSdk(QueueItem item, RunRecord run, FunctionRecord fn) throws InterruptedException {
        var timing = new SdkCallEvent();
        timing.begin();
        long began = System.nanoTime();
        long start = lifecycle.clock().millis();
        boolean targeted = item.kind() == Kind.STEP;
        store.txRun(() -> {
            store.markStarted(run.id(), start);
            if (targeted) {
                store.noteStep(run.id(), item.stepId(), null, null, "running", item.attempt() + 1, null, start);
            }
        });
        if (!targeted) {
            lifecycle.plannedState().forget(run.id()); // a discovery reads the whole state: no plan's snapshot is current
        }
        String url = SdkClient.withStepId(fn.url(), targeted ? item.stepId() : "step");
        Dispatches.Dispatch dispatch = dispatches.begin(run.id(), item.id(), item.attempt(), fn.id(), start);
        long sent;
        SdkClient.Reply reply;
        RunState.Body body;
        try {
            body = targeted ? targetedBody(run, fn, item, dispatch) : RunState.encode(request(run, fn, item, dispatch));
            dispatch.stateBytes(body.stateBytes());
            if (body.stateBytes() > RunState.MAX_STATE_BYTES) {
                // Checkpointed steps can take the state over the limit between calls: fail before calling.
                store.txRun(() -> {
                    if (store.deleteItem(item.id())) {
                        lifecycle.fail(run.id(), RunState.overflowed(body.stateBytes()));
                    }
                });
                return;
            }
            sent = System.nanoTime();
            reply = transport.call(new SdkTransport.Call(fn, url, targeted ? item.stepId() : "step", run.id(), body.bytes(),
                    run.requestVersion(), dispatch));
        } finally {
            // Before the answer is committed: a checkpoint of this call arriving later is stale.
            dispatches.end(dispatch);
        }
        long answered = System.nanoTime();
        if (!(reply.answer() instanceof SdkAnswer.Unanswered) && !(reply.answer() instanceof SdkAnswer.Retry r
                && r.error() != null && ("ConnectionError".equals(r.error().name()) || "TimeoutError".equals(r.error().name())))) {
            appCalls.answered(fn.url());
        }
        if (queue.closing()) {
            return; // a shutdown interrupted or raced the call; the item is redone on the next start
        }
        // A step the SDK answers with, and gives no timing for, ran after the call's last checkpoint: those
        // before it ran earlier in the call, so the call's start would draw sequential steps side by side.
        long ranAfter = Math.max(start, dispatch.lastCheckpointAt());
        commitAnswer(item, run, fn, new SdkClient.Reply(RunState.enforce(reply.answer(), dispatch.stateBytes(), reply.bodyBytes()), reply.requestVersion()), ranAfter);
        if (timing.shouldCommit()) {
            timing.runId = run.id();
            timing.kind = item.kind().name();
            timing.prepare = sent - began;
            timing.http = answered - sent;
            timing.commit = System.nanoTime() - answered;
            timing.commit();
        }
    }

    /** Stores the SDK's answer and queues what follows, in one transaction. */
    private void commitAnswer(QueueItem item, RunRecord run, FunctionRecord fn, SdkClient.Reply reply, long start) {
        store.txRun(() -> {
            if (!store.itemExists(item.id())) {
                return; // the run was cancelled (or deleted) while the SDK worked
            }
            RunRecord current = store.run(run.id()).orElse(null);
            if (current == null || current.status().finished()) {
                store.deleteItem(item.id());
                return;
            }
            if (reply.requestVersion() != null && reply.requestVersion() != current.requestVersion()) {
                store.setRequestVersion(run.id(), reply.requestVersion());
            }
            if (!(reply.answer() instanceof SdkAnswer.Unanswered)) {
                refusals.remove(item.id());
            }
            switch (reply.answer()) {
                case SdkAnswer.Done done -> {
                    store.deleteItem(item.id());
                    lifecycle.complete(run.id(), done.output());
                }
                case SdkAnswer.Failed failed -> {
                    store.deleteItem(item.id());
                    lifecycle.fail(run.id(), failed.error());
                }
                case SdkAnswer.Retry retry -> retryCall(item, current, fn, retry);
                case SdkAnswer.Unanswered unanswered -> unansweredCall(item, current, fn, unanswered);
                case SdkAnswer.Ops ops -> handleOps(item, current, fn, ops, start);
            }
        });
    }

    /** The call request body: the run's events, every memoized step in stack order, and the context. */
    private CallRequest request(RunRecord run, FunctionRecord fn, QueueItem item, Dispatches.Dispatch dispatch) {
        var steps = new LinkedHashMap<String, JsonNode>();
        var stack = new ArrayList<String>();
        for (StepRecord s : store.steps(run.id())) {
            if (s.memoized()) {
                steps.put(s.id(), s.memo() == null ? Json.nodes().nullNode() : s.memo());
                stack.add(s.id());
            } else if (s.input() != null) {
                steps.put(s.id(), s.memo()); // {"input": [...]}: the SDK runs the step with it
            }
        }
        // ctx.fn_id and ctx.qi_id (with the request/generation headers, added by the client) are what let
        // the SDK checkpoint, as with Inngest: it then reports steps to Checkpoints while this call runs.
        var ctx = new CallRequest.CallContext(run.id(), item.attempt(), dispatch.fnId(), run.disableImmediate(), false,
                fn.maxAttempts(), new CallRequest.Stack(stack, stack.size()), null, Long.toString(dispatch.queueItemId()));
        return new CallRequest(run.event(), run.events(), steps, ctx, run.requestVersion(), false,
                lifecycle.deferrals().entries(run.id()));
    }

    /**
     * A targeted call's body: the run's state as of the plan that queued the call, read and serialised once
     * per plan ({@link PlannedState}), with this call's context. A body over Inngest's 4 MiB goes the
     * general way (trimmed, {@code use_api}).
     */
    private RunState.Body targetedBody(RunRecord run, FunctionRecord fn, QueueItem item, Dispatches.Dispatch dispatch) {
        PlannedState.Snapshot s = lifecycle.plannedState().snapshot(store, run);
        var ctx = new CallRequest.CallContext(run.id(), item.attempt(), dispatch.fnId(), run.disableImmediate(), false,
                fn.maxAttempts(), null, null, Long.toString(dispatch.queueItemId()));
        byte[] bytes = RunState.assemble(s, ctx, run.requestVersion());
        if (bytes.length > RunState.MAX_REQUEST_BYTES) {
            return RunState.encode(request(run, fn, item, dispatch));
        }
        return new RunState.Body(bytes, s.noSteps() ? 0 : bytes.length, false);
    }

    /**
     * The connection failed before any answer (refused, reset, closed). While the app answers other calls
     * it is up — overloaded, or it closed a kept-alive connection just as the request arrived — so the
     * call is tried again shortly without spending an attempt, up to {@value #FREE_REFUSALS} times, each
     * logged at WARN; otherwise (the app is down) it is an ordinary failed attempt. As with any retry, an
     * SDK that got the request before the connection broke may have run the step (at least once).
     */
    private void unansweredCall(QueueItem item, RunRecord run, FunctionRecord fn, SdkAnswer.Unanswered unanswered) {
        int n = refusals.merge(item.id(), 1, Integer::sum);
        if (n <= FREE_REFUSALS && appCalls.answeredWithin(fn.url(), UP_WITHIN_MILLIS)) {
            long delay = Math.min(2_000, 25L << Math.min(n, 6)) + java.util.concurrent.ThreadLocalRandom.current().nextLong(25);
            LOG.warn("run {}: {} (while the app answers other calls: more connections at once than it takes? see "
                    + "--max-calls-per-app); trying again in {} ms without spending an attempt ({} of {})",
                    run.id(), unanswered.error().message(), delay, n, FREE_REFUSALS);
            store.reschedule(item, item.attempt(), lifecycle.clock().millis() + delay)
                    .ifPresent(updated -> store.afterCommit(() -> queue.offer(updated)));
            return;
        }
        refusals.remove(item.id());
        retryCall(item, run, fn, new SdkAnswer.Retry(unanswered.error(), null));
    }

    /** A function-level retry of the same call, after the backoff (or Retry-After), until attempts run out. */
    private void retryCall(QueueItem item, RunRecord run, FunctionRecord fn, SdkAnswer.Retry retry) {
        int next = item.attempt() + 1;
        if (next >= fn.maxAttempts()) {
            store.deleteItem(item.id());
            if (item.kind() == Kind.STEP) {
                store.noteStep(run.id(), item.stepId(), null, null, "failed", next, retry.error(), lifecycle.clock().millis());
                store.noteAttempt(new AttemptRecord(run.id(), item.stepId(), next, lifecycle.clock().millis(), retry.error(), null));
            } else {
                store.noteAttempt(new AttemptRecord(run.id(), AttemptRecord.callStepId(item.id()), next, lifecycle.clock().millis(),
                        retry.error(), null));
            }
            lifecycle.fail(run.id(), retry.error());
            return;
        }
        Duration delay = retry.retryAfter() != null ? retry.retryAfter() : backoff.after(item.attempt());
        LOG.info("run {}: {} call attempt {} of {} failed ({}: {}); retrying in {} ms", run.id(), item.kind(), next,
                fn.maxAttempts(), retry.error().name(), retry.error().message(), delay.toMillis());
        if (item.kind() == Kind.STEP) {
            long now = lifecycle.clock().millis();
            store.noteStep(run.id(), item.stepId(), null, null, "errored", next, retry.error(), now);
            store.noteAttempt(new AttemptRecord(run.id(), item.stepId(), next, now, retry.error(), now + delay.toMillis()));
        } else {
            // No step to hang the error on (the function threw outside one, maybe before its first):
            // kept per call, so the run shows its attempts and last error while it is retried.
            long now = lifecycle.clock().millis();
            store.noteAttempt(new AttemptRecord(run.id(), AttemptRecord.callStepId(item.id()), next, now, retry.error(),
                    now + delay.toMillis()));
        }
        store.reschedule(item, next, lifecycle.clock().millis() + delay.toMillis())
                .ifPresent(updated -> store.afterCommit(() -> queue.offer(updated)));
    }

    /**
     * Takes ops a durable endpoint checkpointed when its request could not finish the run (a sleep, a wait,
     * a step to retry) as if a call of the run had answered them: the run goes on in the queue from here.
     */
    public void continueFromCheckpoint(RunRecord run, FunctionRecord fn, SdkAnswer.Ops answer, long start) {
        store.txRun(() -> handleOps(new QueueItem(-1, run.id(), Kind.DISCOVER, null, 0, start, null), run, fn, answer, start));
    }

    private void handleOps(QueueItem item, RunRecord run, FunctionRecord fn, SdkAnswer.Ops answer, long start) {
        List<Op> ops = answer.ops();
        // Defers first, as Inngest takes them: a RunComplete beside them ends the run, which schedules them.
        long at = lifecycle.clock().millis();
        boolean onlyLazy = true;
        for (Op op : ops) {
            switch (op) {
                case Op.DeferAdd d -> lifecycle.deferrals().add(run.id(), d, at);
                case Op.DeferAbort a -> lifecycle.deferrals().abort(run.id(), a, at);
                default -> onlyLazy = false;
            }
        }
        if (onlyLazy) {
            // Defers ride along with another op; alone, nothing moves the run on: discover, as Inngest's fallback.
            LOG.warn("run {}: the SDK answered with defers only; continuing with a discovery call", run.id());
            store.deleteItem(item.id());
            lifecycle.enqueueDiscover(run.id());
            return;
        }
        Op end = functionEnd(ops);
        if (end != null) {
            // The function's own error, sent as an op beside defers (the JS SDK's form): a call's error, not a step's.
            if (end instanceof Op.StepError e && !answer.noRetry()) {
                retryCall(item, run, fn, new SdkAnswer.Retry(e.error(), answer.retryAfter()));
            } else {
                store.deleteItem(item.id());
                lifecycle.fail(run.id(), end instanceof Op.StepError e ? e.error() : ((Op.StepFailed) end).error());
            }
            return;
        }
        if (ops.stream().allMatch(op -> op instanceof Op.Other || op instanceof Op.DeferAdd || op instanceof Op.DeferAbort)) {
            // Nothing this devserver can act on: ignoring it would leave the run waiting forever.
            Op.Other first = (Op.Other) ops.get(0);
            retryCall(item, run, fn, new SdkAnswer.Retry(WireError.of("UnsupportedOp", "the SDK answered op \""
                    + first.raw().op() + "\" (step " + first.id() + "), which this devserver does not support"), answer.retryAfter()));
            return;
        }
        store.deleteItem(item.id());
        if (plannedOps(ops) > 1 && !run.disableImmediate()) {
            // Parallel work was found: from now on every step runs in its own targeted call.
            store.setDisableImmediate(run.id());
        }
        lifecycle.pendingPauses().add(run.id(), pausesPlannedWithSteps(ops));
        boolean discover = false;
        boolean plannedSteps = false;
        int attempts = item.attempt() + 1;
        long now = lifecycle.clock().millis();
        answer.metadata().forEach((opId, metadata) -> OpMetadata.record(store, run.id(), opId, metadata, now));
        for (Op op : ops) {
            switch (op) {
                case Op.StepRun s -> {
                    ObjectNode memo = Json.nodes().objectNode();
                    memo.set("data", s.data() == null ? Json.nodes().nullNode() : s.data());
                    StepTiming t = answer.timing(s.id());
                    discover |= store.memoize(run.id(), s.id(), label(s.displayName(), s.name()), "StepRun", "completed",
                            memo, null, attempts, StepTiming.startOr(t, start), StepTiming.endOr(t, now));
                    Gateways.noteWrapInput(store, run.id(), s.id(), s.opts());
                }
                case Op.StepError e when answer.noRetry() ->
                    discover |= memoizeError(lifecycle, run, e.id(), label(e.displayName(), e.name()), "StepFailed", e.error(), attempts,
                            StepTiming.startOr(answer.timing(e.id()), start));
                case Op.StepError e -> {
                    if (attempts < fn.maxAttempts() && !isMemoized(store, run.id(), e.id())) {
                        Duration delay = answer.retryAfter() != null ? answer.retryAfter() : backoff.after(item.attempt());
                        LOG.info("run {}: step {} attempt {} of {} failed ({}); retrying in {} ms", run.id(),
                                label(e.displayName(), e.name()), attempts, fn.maxAttempts(), message(e.error()), delay.toMillis());
                        store.noteStep(run.id(), e.id(), label(e.displayName(), e.name()), "StepRun", "errored", attempts,
                                e.error(), StepTiming.startOr(answer.timing(e.id()), start));
                        store.noteAttempt(new AttemptRecord(run.id(), e.id(), attempts, now, e.error(), now + delay.toMillis()));
                        lifecycle.enqueue(run.id(), Kind.STEP, e.id(), attempts, now + delay.toMillis(),
                                item.race() ? item.payload() : null);
                    } else {
                        discover |= memoizeError(lifecycle, run, e.id(), label(e.displayName(), e.name()), "StepError", e.error(), attempts,
                                StepTiming.startOr(answer.timing(e.id()), start));
                    }
                }
                case Op.StepFailed f ->
                    discover |= memoizeError(lifecycle, run, f.id(), label(f.displayName(), f.name()), "StepFailed", f.error(), attempts,
                            StepTiming.startOr(answer.timing(f.id()), start));
                case Op.StepPlanned p -> {
                    if (!isMemoized(store, run.id(), p.id()) && store.item(run.id(), Kind.STEP, p.id()).isEmpty()) {
                        if (!plannedSteps) {
                            plannedSteps = true;
                            // Before the queue's offers of these calls (after-commit actions run in order):
                            // they must carry a state read after this commit, with what it memoized.
                            String runId = run.id();
                            store.afterCommit(() -> lifecycle.plannedState().planned(runId));
                        }
                        store.noteStep(run.id(), p.id(), label(p.displayName(), p.name()), "StepRun", "planned", 0, null, now);
                        lifecycle.enqueue(run.id(), Kind.STEP, p.id(), 0, now, raceMode(p.opts()));
                    }
                }
                case Op.Sleep s -> parked.sleep(run, s, now);
                case Op.WaitForEvent w -> parked.waitForEvent(run, w, now);
                case Op.InvokeFunction i -> discover |= parked.invoke(run, fn, i, now);
                case Op.StepNotFound n -> {
                    LOG.warn("run {}: the SDK did not find planned step {}; continuing with a discovery call", run.id(), n.id());
                    StepRecord s = store.step(run.id(), n.id()).orElse(null);
                    int misses = (s == null ? 0 : s.attempts()) + 1;
                    if (misses >= fn.maxAttempts()) {
                        lifecycle.fail(run.id(), WireError.of("StepNotFound", "step " + n.id()
                                + " was planned but the SDK never found it (" + misses + " targeted calls)"));
                        return;
                    }
                    store.noteStep(run.id(), n.id(), null, null, "not found", misses, null, start);
                    discover = true;
                }
                case Op.RunComplete c -> {
                    lifecycle.complete(run.id(), c.data());
                    return;
                }
                case Op.Gateway g -> gateways.plan(run, g, now);
                case Op.AIGateway a -> gateways.plan(run, a, now);
                case Op.WaitForSignal w -> signals.pause(run, w, now);
                case Op.DeferAdd d -> { } // kept above
                case Op.DeferAbort a -> { }
                case Op.Other o -> LOG.warn("run {}: the devserver does not support op {} (step {}); ignoring it",
                        run.id(), o.raw().op(), o.id());
            }
        }
        Races.note(store, run.id(), answer.raced());
        if (discover) {
            lifecycle.enqueueDiscover(run.id());
        }
    }

    /**
     * The pauses of an answer that also planned steps, not in race mode: Inngest continues such a run once all
     * of them have ended. (A pause's own opts are not kept, so a race is told by its planned steps.)
     */
    private static List<String> pausesPlannedWithSteps(List<Op> ops) {
        boolean planned = false;
        for (Op op : ops) {
            if (op instanceof Op.StepPlanned p) {
                if (raceMode(p.opts()) != null) {
                    return List.of();
                }
                planned = true;
            }
        }
        if (!planned) {
            return List.of();
        }
        return ops.stream().filter(op -> op instanceof Op.Sleep || op instanceof Op.WaitForEvent || op instanceof Op.InvokeFunction
                || op instanceof Op.WaitForSignal || op instanceof Op.Gateway || op instanceof Op.AIGateway).map(Op::id).toList();
    }

    /** The payload that marks a planned step of a race ({@code opts.parallelMode: "race"}), else null. */
    private static JsonNode raceMode(JsonNode opts) {
        return opts != null && QueueItem.RACE.equals(opts.path("parallelMode").asText(null))
                ? Json.nodes().objectNode().put("parallelMode", QueueItem.RACE) : null;
    }

    /**
     * Ops that still need the executor: results a checkpointing SDK reports with its answer (steps it ran,
     * the run's end) are not parallel work and keep immediate execution on.
     */
    private static long plannedOps(List<Op> ops) {
        return ops.stream().filter(op -> !(op instanceof Op.StepRun || op instanceof Op.RunComplete
                || op instanceof Op.DeferAdd || op instanceof Op.DeferAbort)).count();
    }

    /** The hash of {@code "complete"}: the id the JS SDK gives the run's end when it sends it as an op. */
    static final String COMPLETE_ID = dev.loomstep.protocol.StepIds.sha1Hex("complete");

    /** A {@code StepError}/{@code StepFailed} on {@link #COMPLETE_ID}: the function's own error, or null. */
    private static Op functionEnd(List<Op> ops) {
        for (Op op : ops) {
            if ((op instanceof Op.StepError || op instanceof Op.StepFailed) && COMPLETE_ID.equals(op.id())) {
                return op;
            }
        }
        return null;
    }

    /** Memoizes a failed step (noting the attempt unless the step is already memoized); true when newly memoized. */
    static boolean memoizeError(Lifecycle lifecycle, RunRecord run, String stepId, String name, String op, WireError error,
                                int attempts, long start) {
        Store store = lifecycle.store();
        ObjectNode memo = Json.nodes().objectNode();
        memo.set("error", Json.toTree(error == null ? WireError.of("Error", "the step failed without an error") : error));
        if (!isMemoized(store, run.id(), stepId)) {
            store.noteAttempt(new AttemptRecord(run.id(), stepId, Math.max(1, attempts), lifecycle.clock().millis(), error, null));
        }
        return store.memoize(run.id(), stepId, name, op, "failed", memo, error, attempts, start, lifecycle.clock().millis());
    }

    static boolean isMemoized(Store store, String runId, String stepId) {
        return store.step(runId, stepId).map(StepRecord::memoized).orElse(false);
    }

    /** Inngest's deadline for a waitForSignal or invoke sent without a timeout: a year from now (epoch millis). */
    static long defaultDeadline(long now) {
        return Instant.ofEpochMilli(now).atZone(java.time.ZoneOffset.UTC).plusYears(1).toInstant().toEpochMilli();
    }

    /** A sleep's end: a time string from now, or an RFC 3339 instant. */
    static long wakeTime(String until, long now) {
        if (until == null || until.isBlank()) {
            throw new IllegalArgumentException("a sleep needs a duration (\"30s\") or an RFC 3339 time, got none");
        }
        try {
            return now + TimeStrings.parse(until).toMillis();
        } catch (IllegalArgumentException notDuration) {
            try {
                return OffsetDateTime.parse(until.trim()).toInstant().toEpochMilli();
            } catch (DateTimeParseException notDate) {
                try {
                    return Instant.parse(until.trim()).toEpochMilli();
                } catch (DateTimeParseException e) {
                    throw new IllegalArgumentException("a sleep needs a duration (\"30s\") or an RFC 3339 time, got \"" + until + "\"");
                }
            }
        }
    }

    /** What the UI calls a step: its display name, else {@code name}. */
    public static String label(String displayName, String name) {
        return displayName != null && !displayName.isBlank() ? displayName : name;
    }

    private static String message(WireError e) {
        return e == null ? "no error" : e.name() + ": " + e.message();
    }
}
