package dev.loomstep.devserver.executor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loomstep.devserver.store.PauseRecord;
import dev.loomstep.devserver.store.QueueItem.Kind;
import dev.loomstep.devserver.store.RunRecord;
import dev.loomstep.devserver.store.Store;
import dev.loomstep.protocol.Json;
import dev.loomstep.protocol.Op;
import dev.loomstep.protocol.WireError;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Signals, as the Inngest server has them: a {@code WaitForSignal} op pauses the run on the signal's name
 * (a pause in the store, so it survives a restart) with a timeout; {@code POST /v1/signals} resumes it
 * with {@code {"data": {"signal", "data"}}} and answers its run id; the timeout resumes it with null. A
 * signal name has at most one waiting run: a second run that waits on it fails at once, unless its op says
 * {@code conflict: "replace"}, which takes the name over and leaves the first wait to time out.
 */
public final class SignalWaits {
    private static final Logger LOG = LoggerFactory.getLogger(SignalWaits.class);
    /** The server's words for a second waiter on a signal name. */
    static final String CONFLICT = "Signal conflict; signal wait already exists for another run";

    private final Lifecycle lifecycle;
    private final Store store;

    public SignalWaits(Lifecycle lifecycle) {
        this.lifecycle = lifecycle;
        this.store = lifecycle.store();
    }

    /** Pauses {@code run} on the op's signal; fails the run for a missing signal or timeout, or a conflict. */
    void pause(RunRecord run, Op.WaitForSignal w, long now) {
        if (store.step(run.id(), w.id()).map(s -> s.memoized()).orElse(false) || store.pause(run.id(), w.id()).isPresent()) {
            return;
        }
        String step = w.displayName() != null ? w.displayName() : w.id();
        if (w.signal() == null || w.signal().isBlank()) {
            lifecycle.fail(run.id(), WireError.of("InvalidWaitForSignal", "waitForSignal step " + step
                    + " names no signal (expected opts.signal)"));
            return;
        }
        long expires;
        try {
            // As Inngest: no timeout (JS sends "" for a zero or negative one) is its default of one year.
            expires = w.timeout() == null || w.timeout().isBlank() ? Executor.defaultDeadline(now)
                    : Executor.wakeTime(w.timeout(), now);
        } catch (IllegalArgumentException e) {
            lifecycle.fail(run.id(), WireError.of("InvalidWaitForSignal", "waitForSignal step " + step
                    + " needs a timeout such as \"1h\", got " + (w.timeout() == null ? "none" : "\"" + w.timeout() + "\"")));
            return;
        }
        var held = store.signalPause(w.signal()).filter(p -> !p.runId().equals(run.id()) || !p.stepId().equals(w.id()));
        if (held.isPresent()) {
            if (!"replace".equals(w.conflict())) {
                LOG.info("run {}: waitForSignal {} on \"{}\" conflicts with run {}, which waits for it already", run.id(), step,
                        w.signal(), held.get().runId());
                lifecycle.fail(run.id(), WireError.of("Error", CONFLICT));
                return;
            }
            store.releaseSignal(w.signal());
        }
        store.insertPause(new PauseRecord(run.id(), w.id(), PauseRecord.SIGNAL, w.signal(), null, null, expires, now));
        store.noteStep(run.id(), w.id(), step, "WaitForSignal", "waiting", 0, null, now);
        store.noteStepDetail(run.id(), w.id(), Json.nodes().objectNode().put("signal", w.signal()).put("timeout_at", expires));
        lifecycle.enqueue(run.id(), Kind.WAIT_TIMEOUT, w.id(), 0, expires, null);
    }

    /**
     * Resumes the run waiting for {@code signal} with {@code data} and returns its id; empty when no run
     * waits for it (or its wait has expired), which changes nothing.
     */
    public Optional<String> receive(String signal, JsonNode data) {
        var resumed = new AtomicReference<String>();
        long now = lifecycle.clock().millis();
        store.txRun(() -> {
            PauseRecord p = store.signalPause(signal).orElse(null);
            if (p == null || p.expiresAt() < now) {
                return;
            }
            RunRecord run = store.run(p.runId()).orElse(null);
            if (!store.deletePause(p.runId(), p.stepId()) || run == null || run.status().finished()) {
                return;
            }
            lifecycle.deleteTimer(p.runId(), Kind.WAIT_TIMEOUT, p.stepId());
            ObjectNode received = Json.nodes().objectNode().put("signal", signal);
            received.set("data", data == null ? Json.nodes().nullNode() : data);
            ObjectNode memo = Json.nodes().objectNode();
            memo.set("data", received);
            lifecycle.memoizeAndContinue(p.runId(), p.stepId(), null, "WaitForSignal", "completed", memo, null, 0, now);
            resumed.set(p.runId());
        });
        return Optional.ofNullable(resumed.get());
    }
}
