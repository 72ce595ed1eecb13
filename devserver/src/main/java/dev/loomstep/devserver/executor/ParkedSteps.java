package dev.loomstep.devserver.executor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loomstep.Event;
import dev.loomstep.devserver.internal.Ulid;
import dev.loomstep.devserver.store.FunctionRecord;
import dev.loomstep.devserver.store.PauseRecord;
import dev.loomstep.devserver.store.QueueItem;
import dev.loomstep.devserver.store.QueueItem.Kind;
import dev.loomstep.devserver.store.RunRecord;
import dev.loomstep.devserver.store.Store;
import dev.loomstep.protocol.Json;
import dev.loomstep.protocol.Op;
import dev.loomstep.protocol.WireError;
import java.util.List;

/**
 * The ops that park a run — {@code Sleep} until a time, {@code WaitForEvent} until a matching event,
 * {@code InvokeFunction} until the invoked run ends — and the timers that end those waits (wake, wait
 * timeout, invoke timeout). A parked step is a WAKE item or a pause in the store, so it survives a restart.
 */
final class ParkedSteps {
    private final Lifecycle lifecycle;
    private final Store store;
    private final Registry registry;

    ParkedSteps(Lifecycle lifecycle) {
        this.lifecycle = lifecycle;
        this.store = lifecycle.store();
        this.registry = lifecycle.registry();
    }

    void sleep(RunRecord run, Op.Sleep s, long now) {
        if (Executor.isMemoized(store, run.id(), s.id()) || store.item(run.id(), Kind.WAKE, s.id()).isPresent()) {
            return;
        }
        long until;
        try {
            // As Inngest: a sleep with no duration (JS sends "" for a zero or negative one) wakes at once.
            until = s.until() == null || s.until().isBlank() ? now : Executor.wakeTime(s.until(), now);
        } catch (IllegalArgumentException e) {
            lifecycle.fail(run.id(), WireError.of("InvalidSleep", "step " + Executor.label(s.displayName(), null) + ": " + e.getMessage()));
            return;
        }
        store.noteStep(run.id(), s.id(), Executor.label(s.displayName(), s.until()), "Sleep", "waiting", 0, null, now);
        store.noteStepDetail(run.id(), s.id(), Json.nodes().objectNode().put("wake_at", until));
        lifecycle.enqueue(run.id(), Kind.WAKE, s.id(), 0, until, null);
    }

    void waitForEvent(RunRecord run, Op.WaitForEvent w, long now) {
        if (Executor.isMemoized(store, run.id(), w.id()) || store.pause(run.id(), w.id()).isPresent()) {
            return;
        }
        if (w.event() == null || w.event().isBlank()) {
            lifecycle.fail(run.id(), WireError.of("InvalidWaitForEvent", "waitForEvent step " + Executor.label(w.displayName(), null)
                    + " names no event (expected opts.event or name)"));
            return;
        }
        // As Inngest: no timeout (JS sends "" for a zero or negative one) times the wait out at once.
        long expires = now;
        if (w.timeout() != null && !w.timeout().isBlank()) {
            try {
                expires = Executor.wakeTime(w.timeout(), now);
            } catch (IllegalArgumentException e) {
                lifecycle.fail(run.id(), WireError.of("InvalidWaitForEvent", "waitForEvent step "
                        + Executor.label(w.displayName(), null) + " has an invalid timeout \"" + w.timeout() + "\""));
                return;
            }
        }
        store.insertPause(new PauseRecord(run.id(), w.id(), PauseRecord.WAIT, w.event(), w.ifExpression(), w.match(), expires, now));
        store.noteStep(run.id(), w.id(), Executor.label(w.displayName(), w.event()), "WaitForEvent", "waiting", 0, null, now);
        store.noteStepDetail(run.id(), w.id(), Json.nodes().objectNode().put("event", w.event())
                .put("expression", w.ifExpression() != null ? w.ifExpression() : w.match())
                .put("timeout_at", expires == Long.MAX_VALUE ? null : expires));
        if (expires != Long.MAX_VALUE) {
            lifecycle.enqueue(run.id(), Kind.WAIT_TIMEOUT, w.id(), 0, expires, null);
        }
    }

    /** Starts the invoked run; returns true when the step was memoized at once (an error) and the run continues. */
    boolean invoke(RunRecord run, FunctionRecord fn, Op.InvokeFunction i, long now) {
        if (Executor.isMemoized(store, run.id(), i.id()) || store.pause(run.id(), i.id()).isPresent()) {
            return false;
        }
        String name = Executor.label(i.displayName(), i.functionId());
        FunctionRecord target = registry.function(i.functionId());
        if (target == null) {
            return Executor.memoizeError(lifecycle, run, i.id(), name, "InvokeFunction",
                    WireError.of("Error", "could not invoke function \"" + i.functionId() + "\": no synced app has it"), 1, now);
        }
        // As Inngest: no timeout (JS sends "" for a zero or negative one) is its default of one year.
        long expires = Executor.defaultDeadline(now);
        if (i.timeout() != null && !i.timeout().isBlank()) {
            try {
                expires = Executor.wakeTime(i.timeout(), now);
            } catch (IllegalArgumentException e) {
                return Executor.memoizeError(lifecycle, run, i.id(), name, "InvokeFunction",
                        WireError.of("Error", "invoke has an invalid timeout \"" + i.timeout() + "\""), 1, now);
            }
        }
        JsonNode payload = i.payload() == null ? Json.nodes().objectNode() : i.payload();
        ObjectNode data = payload.get("data") instanceof ObjectNode d ? d.deepCopy() : Json.nodes().objectNode();
        ObjectNode meta = data.putObject("_inngest");
        meta.put("fn_id", target.id());
        meta.put("correlation_id", run.id() + "." + i.id());
        meta.put("source_fn_id", fn.id());
        meta.put("source_app_id", fn.appId());
        meta.put("expire", expires == Long.MAX_VALUE ? 0 : expires);
        meta.put("name", name);
        JsonNode user = payload.get("user");
        Event invoked = new Event(Ulid.next(), Lifecycle.INVOKED, data, user == null || user.isNull() ? null : user, now, null);
        store.insertPause(new PauseRecord(run.id(), i.id(), PauseRecord.INVOKE, null, null, null, expires, now));
        store.noteStep(run.id(), i.id(), name, "InvokeFunction", "waiting", 0, null, now);
        store.noteStepDetail(run.id(), i.id(), Json.nodes().objectNode().put("function_id", target.id())
                .put("timeout_at", expires == Long.MAX_VALUE ? null : expires));
        if (expires != Long.MAX_VALUE) {
            lifecycle.enqueue(run.id(), Kind.INVOKE_TIMEOUT, i.id(), 0, expires, null);
        }
        lifecycle.ingest(List.of(invoked));
        return false;
    }

    // ---------------------------------------------------------------- the timers that end them

    void wake(QueueItem item) {
        store.txRun(() -> {
            if (!store.deleteItem(item.id())) {
                return;
            }
            RunRecord run = store.run(item.runId()).orElse(null);
            if (run != null && !run.status().finished()) {
                lifecycle.memoizeAndContinue(run.id(), item.stepId(), null, "Sleep", "completed", Json.nodes().nullNode(),
                        null, 0, item.dueAt());
            }
        });
    }

    void waitTimeout(QueueItem item) {
        store.txRun(() -> {
            String kind = store.pause(item.runId(), item.stepId()).map(PauseRecord::kind).orElse(PauseRecord.WAIT);
            if (store.deleteItem(item.id()) && store.deletePause(item.runId(), item.stepId())) {
                lifecycle.memoizeAndContinue(item.runId(), item.stepId(), null,
                        PauseRecord.SIGNAL.equals(kind) ? "WaitForSignal" : "WaitForEvent", "completed",
                        Json.nodes().nullNode(), null, 0, lifecycle.clock().millis());
            }
        });
    }

    void invokeTimeout(QueueItem item) {
        store.txRun(() -> {
            if (store.deleteItem(item.id()) && store.deletePause(item.runId(), item.stepId())) {
                WireError error = WireError.of("InngestInvokeTimeoutError", "Timed out waiting for invoked function to complete");
                ObjectNode memo = Json.nodes().objectNode();
                memo.set("error", Json.toTree(error));
                lifecycle.memoizeAndContinue(item.runId(), item.stepId(), null, "InvokeFunction", "failed", memo, error, 0,
                        lifecycle.clock().millis());
            }
        });
    }
}
