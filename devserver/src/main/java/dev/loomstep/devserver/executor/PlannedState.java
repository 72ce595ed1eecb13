package dev.loomstep.devserver.executor;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.devserver.store.RunRecord;
import dev.loomstep.devserver.store.StepRecord;
import dev.loomstep.devserver.store.Store;
import dev.loomstep.protocol.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The run state that targeted calls ({@code stepId=<hash>}) of a planned fan-out carry, read from the store
 * and serialised once per plan instead of once per call.
 *
 * <p>A targeted call carries what the real executor sends: the run's events and memoized steps in stack
 * order ({@code steps}, {@code ctx.stack}) — the SDK replays the function from the top and needs every step
 * before the targeted one. What it need not carry is what the targeted step's siblings commit while the
 * fan-out runs: the SDK found the step in a replay over the state the plan was made from, so the same state
 * reaches it again (Inngest's own executor relies on the same fact when it sends a stack loaded before
 * parallel results landed: planned steps are never re-run). So the state is read once per <em>plan</em> —
 * the commit that queued targeted calls — and every targeted call of that plan reuses the same JSON bytes:
 * N branches cost N copies of the state before the fan-out, not N reads and N serialisations of a state
 * that grows with each branch (the quadratic part).
 *
 * <p>Correctness rests on one ordering: a plan's commit bumps the run's epoch before its calls are queued
 * ({@link #planned}, an after-commit action registered ahead of the queue's), and a snapshot is only
 * used by calls of the epoch it was read in. A snapshot read before a plan committed is thus never
 * reused after it; after a restart (memory empty) or a discovery call the state is read afresh.
 */
final class PlannedState {
    /** A run's events and memoized steps as JSON, read in one epoch. */
    record Snapshot(long epoch, SerializedString event, SerializedString events, SerializedString steps,
                    SerializedString stack, int stackSize, boolean noSteps) {}

    private static final class Holder {
        final AtomicLong epoch = new AtomicLong();
        final ReentrantLock lock = new ReentrantLock();
        volatile Snapshot snapshot;
    }

    private final ConcurrentHashMap<String, Holder> runs = new ConcurrentHashMap<>();
    private final LongAdder reads = new LongAdder();
    private final LongAdder reuses = new LongAdder();

    /**
     * A commit queued targeted calls for the run: calls of this plan need a state read after it. Call it
     * from an after-commit action registered before the queue's offers of those calls.
     */
    void planned(String runId) {
        runs.computeIfAbsent(runId, k -> new Holder()).epoch.incrementAndGet();
    }

    /** The run ended, or a discovery call reads the whole state anyway: drop what is held for it. */
    void forget(String runId) {
        runs.remove(runId);
    }

    /** The state for a targeted call: the snapshot of the current epoch, read from the store if there is none. */
    Snapshot snapshot(Store store, RunRecord run) {
        Holder h = runs.computeIfAbsent(run.id(), k -> new Holder());
        Snapshot s = h.snapshot;
        if (s != null && s.epoch() == h.epoch.get()) {
            reuses.increment();
            return s;
        }
        h.lock.lock(); // one read per epoch, however many calls of the plan start at once
        try {
            long epoch = h.epoch.get(); // read before the store: a plan committing meanwhile bumps it past us
            s = h.snapshot;
            if (s != null && s.epoch() == epoch) {
                reuses.increment();
                return s;
            }
            s = read(store, run, epoch);
            h.snapshot = s;
            reads.increment();
            return s;
        } finally {
            h.lock.unlock();
        }
    }

    private static Snapshot read(Store store, RunRecord run, long epoch) {
        try (var steps = new ByteArrayOutputStream(); var stack = new ByteArrayOutputStream();
             JsonGenerator s = Json.mapper().createGenerator(steps); JsonGenerator k = Json.mapper().createGenerator(stack)) {
            s.writeStartObject();
            k.writeStartArray();
            int n = 0;
            for (StepRecord step : store.steps(run.id())) {
                if (step.memoized()) {
                    s.writeFieldName(step.id());
                    JsonNode memo = step.memo();
                    if (memo == null) {
                        s.writeNull();
                    } else {
                        Json.mapper().writeTree(s, memo);
                    }
                    k.writeString(step.id());
                    n++;
                } else if (step.input() != null) {
                    s.writeFieldName(step.id());
                    Json.mapper().writeTree(s, step.memo());
                }
            }
            s.writeEndObject();
            k.writeEndArray();
            s.flush();
            k.flush();
            return new Snapshot(epoch,
                    run.event() == null ? null : raw(Json.toBytes(run.event())),
                    raw(Json.toBytes(run.events())),
                    raw(steps.toByteArray()), raw(stack.toByteArray()), n, n == 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static SerializedString raw(byte[] json) {
        return new SerializedString(new String(json, java.nio.charset.StandardCharsets.UTF_8));
    }

    /** How many targeted calls read the state from the store, and how many reused a snapshot; for {@code GET /dev}. */
    long reads() {
        return reads.sum();
    }

    long reuses() {
        return reuses.sum();
    }

    /** Runs holding a snapshot or an epoch now (for tests: it must not grow with ended runs). */
    int held() {
        return runs.size();
    }
}
