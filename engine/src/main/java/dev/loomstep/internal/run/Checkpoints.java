package dev.loomstep.internal.run;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Checkpointing;
import dev.loomstep.protocol.AsyncCheckpoint;
import dev.loomstep.protocol.CallResult;
import dev.loomstep.protocol.CheckpointApi;
import dev.loomstep.protocol.Json;
import dev.loomstep.protocol.Op;
import dev.loomstep.protocol.StaleDispatchException;
import dev.loomstep.protocol.StepIds;
import dev.loomstep.protocol.WireError;
import dev.loomstep.protocol.WireOp;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.locks.ReentrantLock;
import org.jctools.queues.atomic.MpscUnboundedAtomicArrayQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The checkpointing side of one call request: which executed steps are buffered, which are on their way
 * to the executor's checkpoint API, and what the request answers in the end.
 *
 * <p>At most one checkpoint is in flight: the run's thread hands it to a virtual thread of its own and
 * goes on with the next step (pipelining), and waits for its acknowledgement only when it sends the
 * next one (after {@link Checkpointing#runAhead()} more steps) or is about to answer. So the answer
 * never relies on a step the executor has not acknowledged. With run-ahead, a step that finds nothing
 * in flight waits up to {@link Checkpointing#linger()} for company before a checkpoint takes it (a timer
 * sends it then, even while the next step's body still runs): a quick run then ends with one checkpoint
 * of all its steps instead of one with the first step alone and one with the rest, and the answer never
 * waits for the timer. State is guarded by one lock: the run's baton holder takes it at each step's end,
 * the timer when it fires; while a fan-out's branch steps run side by side ({@link #openFanOut}) their
 * results arrive on a lock-free queue from many threads, and whichever thread finds the lock free sends
 * what has arrived as soon as no checkpoint is in flight, so batches form by themselves while the
 * branches still run.
 */
final class Checkpoints {
    private static final Logger log = LoggerFactory.getLogger(Checkpoints.class);
    private static final Executor SENDERS = task -> Thread.ofVirtual().name("loomstep-checkpoint").start(task);
    /** Like JS: the completion op's id is the hash of the placeholder step id "complete". */
    static final String RUN_COMPLETE_ID = StepIds.sha1Hex("complete");
    /** The most steps one checkpoint carries: a fan-out's results leave in batches of at most this many. */
    static final int MAX_BATCH = 500;

    private final CheckpointApi api;
    private final Checkpointing options;
    private final String runId;
    private final String fnId;
    private final String qiId;
    private final String requestId;
    private final Integer generationId;
    private final int attempt;
    private final long startedAtMillis;
    private final long startedAtNanos;

    /** Defers waiting for a message to ride along with: each checkpoint takes them. */
    private final LazyOps lazy;
    private final ArrayList<WireOp> buffer = new ArrayList<>();
    private long firstBufferedAtNanos;
    /** Sent in the checkpoint in flight, not yet acknowledged. */
    private List<WireOp> sending = List.of();
    private CompletableFuture<Void> inFlight;
    private volatile Throwable failure;
    /** How long a sequential step's result waits for company when no checkpoint is in flight (0: none). */
    private final long lingerNanos;
    /** The buffer (by its first step's time) a linger timer is armed for; 0: none. */
    private long lingerArmedFor;

    /**
     * Results of branch steps run side by side, from their threads, until the fan-out closes. JCTools'
     * atomic flavour: its Unsafe one would make every app on JDK 24+ print sun.misc.Unsafe warnings.
     */
    private final MpscUnboundedAtomicArrayQueue<WireOp> arrived = new MpscUnboundedAtomicArrayQueue<>(256);
    /** Held by the one thread that touches this object's state (run thread, linger timer, fan-out flusher). */
    private final ReentrantLock lock = new ReentrantLock();
    private volatile boolean fanOutOpen;
    /**
     * When the oldest result not yet sent arrived (0: none waits). A fan-out's results wait up to the
     * fan-out linger for company before a checkpoint takes them: a round of quick bodies then ends with
     * one checkpoint of all its results instead of a first one with the first result alone and a second
     * with the rest after it (a round trip more on the run's critical path), while slow bodies' results
     * still leave every linger or so.
     */
    private final java.util.concurrent.atomic.AtomicLong waitingSince = new java.util.concurrent.atomic.AtomicLong();
    private final long fanOutLingerNanos;
    private final Executor afterFanOutLinger;

    Checkpoints(CheckpointApi api, Checkpointing options, String runId, String fnId, String qiId, String requestId,
                Integer generationId, int attempt, long startedAtMillis, long startedAtNanos, LazyOps lazy) {
        this.lazy = lazy;
        this.api = api;
        this.options = options;
        this.runId = runId;
        this.fnId = fnId;
        this.qiId = qiId;
        this.requestId = requestId;
        this.generationId = generationId;
        this.attempt = attempt;
        this.startedAtMillis = startedAtMillis;
        this.startedAtNanos = startedAtNanos;
        this.lingerNanos = options.runAhead() == 0 ? 0 : options.linger().toNanos();
        this.fanOutLingerNanos = options.linger().toNanos();
        this.afterFanOutLinger = CompletableFuture.delayedExecutor(fanOutLingerNanos, java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    /** Whether the request may still execute a new step in place ({@code maxRuntime} not reached). */
    boolean withinRuntime() {
        long max = options.maxRuntime().toNanos();
        return max == 0 || System.nanoTime() - startedAtNanos < max;
    }

    /**
     * Records a step executed in place and sends the buffer when it is due. Returns true when the run
     * may go on in this request; false when it must answer now through {@link #settle}: on a retry
     * attempt (as JS, a retried step is answered the classic way, and nothing is buffered), or once a
     * checkpoint failed.
     */
    boolean continueAfter(Op.StepRun executed, WireOp.Timing timing, JsonNode metadata) {
        if (attempt > 0) {
            return false;
        }
        lock.lock();
        try {
            long now = System.nanoTime();
            if (buffer.isEmpty()) {
                firstBufferedAtNanos = now;
            }
            buffer.add(executed.toWire().withTiming(timing).withMetadata(metadata));
            if (inFlight != null && inFlight.isDone()) {
                awaitInFlight();
            }
            if (failure != null) {
                return false;
            }
            long interval = options.maxInterval().toNanos();
            boolean due = buffer.size() >= options.bufferedSteps()
                    || (interval > 0 && now - firstBufferedAtNanos >= interval);
            // Nothing in flight: with a linger, the step waits for company (a timer sends it once the linger
            // is over, if no step end or answer did before), unless the run may not go on without sending.
            boolean lingering = lingerNanos > 0 && now - firstBufferedAtNanos < lingerNanos
                    && buffer.size() <= options.runAhead();
            if (due && lingering && lingerArmedFor != firstBufferedAtNanos) {
                long episode = firstBufferedAtNanos;
                lingerArmedFor = episode;
                // On a virtual thread: the timer may have to wait for the lock.
                CompletableFuture.runAsync(() -> lingerElapsed(episode), CompletableFuture.delayedExecutor(
                        episode + lingerNanos - now, java.util.concurrent.TimeUnit.NANOSECONDS, SENDERS));
            }
            // With one in flight, a due checkpoint waits for it (send() joins it first) unless the run may
            // still go on: then the buffer leaves with the next step that finds the flight acknowledged.
            if (due && ((inFlight == null && !lingering) || buffer.size() > options.runAhead())) {
                send();
            }
            if (options.runAhead() == 0) {
                // No run-ahead (jsDefaults): as JS, the next step runs only once this checkpoint is acknowledged,
                // so a refused one (however long its retries take) stops the run here.
                awaitInFlight();
            }
            return failure == null;
        } finally {
            lock.unlock();
        }
    }

    /**
     * A sequential step's linger is over: what is buffered leaves now (or as soon as the checkpoint in
     * flight is acknowledged), even while the run's thread is inside a long step body.
     */
    private void lingerElapsed(long episode) {
        lock.lock();
        try {
            if (fanOutOpen || failure != null || buffer.isEmpty() || firstBufferedAtNanos != episode) {
                return; // sent already, or a new buffer with its own timer; a fan-out flushes by itself
            }
            if (inFlight != null && !inFlight.isDone()) {
                inFlight.whenCompleteAsync((ok, error) -> lingerElapsed(episode), SENDERS); // never on the completing thread: it may hold the lock's owner in join()
                return;
            }
            send();
        } finally {
            lock.unlock();
        }
    }

    /** Whether this request may run a fan-out's branch steps side by side, and how many at once (0: no). */
    int parallelSteps() {
        return attempt > 0 || failure != null || !withinRuntime() ? 0 : options.parallelSteps();
    }

    /** Branch step results may now arrive from many threads through {@link #offerFromBranch}. */
    void openFanOut() {
        lock.lock();
        try {
            waitingSince.set(0);
            fanOutOpen = true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * A branch step run side by side succeeded: its result leaves with the next checkpoint, sent as soon as
     * none is in flight. Never waits for the network.
     */
    void offerFromBranch(Op.StepRun executed, JsonNode metadata) {
        // No timing: branches ran side by side, and at the executor's millisecond a branch body that took
        // none would look like it ran after its siblings; without timing it spans the checkpoint's interval.
        arrived.offer(executed.toWire().withMetadata(metadata));
        if (waitingSince.compareAndSet(0, System.nanoTime())) {
            CompletableFuture.runAsync(this::flushArrived, afterFanOutLinger); // sends it then, if nothing else did
            return;
        }
        flushArrived();
    }

    /**
     * Every branch step of the fan-out ended; the caller holds the baton again. What arrived is buffered,
     * and sent at once when no checkpoint is in flight. Returns false when a checkpoint failed: the request
     * must answer through {@link #settle}.
     */
    boolean closeFanOut() {
        lock.lock();
        try {
            fanOutOpen = false;
            waitingSince.set(0);
            arrived.drain(buffer::add);
            if (inFlight != null && inFlight.isDone()) {
                awaitInFlight();
            }
            if (failure == null && inFlight == null && !buffer.isEmpty()) {
                send();
            }
            return failure == null;
        } finally {
            lock.unlock();
        }
    }

    /** Sends what arrived if no checkpoint is in flight; whoever gets the lock does it, nobody waits. */
    private void flushArrived() {
        if (lock.isHeldByCurrentThread()) {
            return; // an acknowledgement that came back at once, inside send(): the caller goes on
        }
        while (fanOutOpen && lock.tryLock()) {
            try {
                if (!fanOutOpen) {
                    return;
                }
                arrived.drain(buffer::add);
                if (inFlight != null && inFlight.isDone()) {
                    awaitInFlight();
                }
                if (!buffer.isEmpty() && waitingSince.compareAndSet(0, System.nanoTime())) {
                    CompletableFuture.runAsync(this::flushArrived, afterFanOutLinger); // results no timer waits for yet
                }
                long since = waitingSince.get();
                boolean lingered = since != 0 && System.nanoTime() - since >= fanOutLingerNanos;
                if (failure == null && inFlight == null && !buffer.isEmpty() && lingered) {
                    send(); // at most MAX_BATCH: the rest leaves with the next acknowledgement
                    // What stays (past MAX_BATCH, or arrived meanwhile) has waited long enough already.
                    waitingSince.set(buffer.isEmpty() && arrived.isEmpty() ? 0 : since);
                    // The next batch leaves when this one is acknowledged, whether or not more results arrive.
                    inFlight.whenComplete((ok, error) -> flushArrived());
                }
            } finally {
                lock.unlock();
            }
            // A result offered while the lock was held found it taken: look again so it is not left behind.
            if (arrived.isEmpty()) {
                return;
            }
        }
    }

    /**
     * The answer to give instead of {@code classic} (a step error, the ops the run stopped at, the
     * function's error): sends what is buffered and waits until every checkpoint is acknowledged. If one
     * failed, the answer is every step not acknowledged, the classic way, so the executor records them
     * and calls again; if it was stale, the request stops as JS does.
     */
    CallResult settle(CallResult classic) {
        lock.lock();
        try {
            while (failure == null && !buffer.isEmpty()) {
                send();
            }
            awaitInFlight();
            return failure == null ? classic : fallback(null);
        } finally {
            lock.unlock();
        }
    }

    /** The answer when the function returned {@code data}: {@code RunComplete}, once every step is acknowledged. */
    CallResult complete(JsonNode data) {
        // RunComplete travels alone: the Inngest executor takes several ops in one answer for a parallel
        // plan and queues a discovery call for each StepRun while RunComplete finalizes the run, so those
        // calls later fail against a finished run. The buffered steps are checkpointed first.
        lock.lock();
        try {
            while (failure == null && !buffer.isEmpty()) {
                send();
            }
            awaitInFlight();
            if (failure instanceof StaleDispatchException) {
                return fallback(null);
            }
            var done = new Op.RunComplete(RUN_COMPLETE_ID, data == null ? Json.nodes().nullNode() : data).toWire();
            if (failure != null) {
                return fallback(done);
            }
            return new CallResult(206, Json.toBytes(List.of(done)), false, null, false);
        } finally {
            lock.unlock();
        }
    }

    private CallResult fallback(WireOp last) {
        if (failure instanceof StaleDispatchException) {
            // The executor moved on: nothing from this request may be reported as canonical.
            return new CallResult(400, Json.toBytes(WireError.of("StaleDispatchError", failure.getMessage())), true, null);
        }
        var ops = new ArrayList<WireOp>(sending.size() + buffer.size() + 1);
        ops.addAll(sending);
        ops.addAll(buffer);
        if (last != null) {
            ops.add(last);
        }
        return new CallResult(206, Json.toBytes(ops), false, null, false);
    }

    private void send() {
        awaitInFlight();
        if (failure != null) {
            return;
        }
        var batch = new ArrayList<WireOp>(Math.min(buffer.size(), MAX_BATCH) + 1);
        if (buffer.size() <= MAX_BATCH) {
            batch.addAll(buffer);
            buffer.clear();
        } else {
            var head = buffer.subList(0, MAX_BATCH);
            batch.addAll(head);
            head.clear();
        }
        batch.addAll(lazy.drain()); // after the steps, as JS sends them
        sending = batch;
        var checkpoint = new AsyncCheckpoint(runId, fnId, qiId, requestId, generationId, startedAtMillis, batch,
                System.currentTimeMillis());
        inFlight = CompletableFuture.runAsync(() -> api.send(checkpoint), SENDERS);
    }

    private void awaitInFlight() {
        if (inFlight == null) {
            return;
        }
        try {
            inFlight.join();
            sending = List.of();
        } catch (CompletionException | java.util.concurrent.CancellationException e) {
            failure = e.getCause() != null ? e.getCause() : e;
            if (failure instanceof StaleDispatchException) {
                log.warn("run {}: the executor refused a checkpoint as stale ({}); this request stops without reporting its steps",
                        runId, failure.getMessage());
            } else {
                log.warn("run {}: checkpointing failed ({}); answering the {} unacknowledged step(s) the classic way",
                        runId, failure.toString(), sending.size() + buffer.size());
            }
        } finally {
            inFlight = null;
        }
    }
}
