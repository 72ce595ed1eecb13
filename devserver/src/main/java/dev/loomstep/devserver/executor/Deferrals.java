package dev.loomstep.devserver.executor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loomstep.Event;
import dev.loomstep.Trigger;
import dev.loomstep.devserver.internal.Ulid;
import dev.loomstep.devserver.store.DeferRecord;
import dev.loomstep.devserver.store.FunctionRecord;
import dev.loomstep.devserver.store.RunRecord;
import dev.loomstep.protocol.CallRequest;
import dev.loomstep.protocol.Json;
import dev.loomstep.protocol.Op;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code step.defer} on the executor's side, as Inngest does it: a run's {@code DeferAdd} ops are kept (a
 * defer over a limit is kept as rejected, with its reason, and the run goes on), {@code DeferAbort} drops one
 * while the run runs, and when the run ends (completed, failed or cancelled) each defer still waiting becomes an
 * {@value Trigger#DEFERRED_SCHEDULE_EVENT} event, whose data is the defer's plus {@code _inngest} naming the
 * parent; the target function's trigger on that event starts the deferred run.
 */
public final class Deferrals {
    private static final Logger LOG = LoggerFactory.getLogger(Deferrals.class);

    private final Lifecycle lifecycle;

    /** Made with its lifecycle, before the lifecycle's store is set: the store is read at each use. */
    Deferrals(Lifecycle lifecycle) {
        this.lifecycle = lifecycle;
    }

    /** Keeps a {@code DeferAdd} of run {@code runId} (joins the caller's unit). */
    void add(String runId, Op.DeferAdd op, long now) {
        if (op.id() == null || op.id().isBlank()) {
            LOG.warn("run {}: ignored a DeferAdd without an id", runId);
            return;
        }
        String reason = null;
        JsonNode input = op.input();
        if (op.fnSlug() == null || op.fnSlug().isBlank()) {
            reason = "it names no function (opts.fn_slug)";
        } else if (input != null && !input.isNull() && !input.isObject()) {
            reason = "its data (opts.input) is " + input.getNodeType().name().toLowerCase() + ", not a JSON object";
        }
        JsonNode data = input == null || input.isNull() ? Json.nodes().objectNode() : input;
        long size = reason == null ? Json.toBytes(data).length : 0;
        var d = new DeferRecord(runId, op.id(), op.userlandId(), op.fnSlug(), reason == null ? data : null, size,
                reason == null ? DeferRecord.AFTER_RUN : DeferRecord.REJECTED, reason, null, now, now);
        DeferRecord stored = lifecycle.store().addDefer(d);
        if (stored.reason() != null && stored.createdAt() == now) {
            LOG.warn("run {}: defer \"{}\" rejected: {}; the run goes on without it", runId, op.userlandId(), stored.reason());
        }
    }

    /** Drops the defer a {@code DeferAbort} names, if it still waits for the run's end (joins the caller's unit). */
    void abort(String runId, Op.DeferAbort op, long now) {
        if (op.targetHashedId() == null || !lifecycle.store().abortDefer(runId, op.targetHashedId(), now)) {
            LOG.debug("run {}: DeferAbort of {} found no defer waiting; nothing to abort", runId, op.targetHashedId());
        }
    }

    /** The {@code defers} of a call request: every defer the run holds, abortable while it waits. */
    Map<String, CallRequest.DeferEntry> entries(String runId) {
        List<DeferRecord> all = lifecycle.store().defers(runId);
        if (all.isEmpty()) {
            return Map.of();
        }
        var out = new LinkedHashMap<String, CallRequest.DeferEntry>();
        all.forEach(d -> out.put(d.hashedId(), new CallRequest.DeferEntry(d.abortable())));
        return out;
    }

    /** The run has ended (inside the unit that ended it): schedules each defer still waiting. */
    void runEnded(RunRecord run, long now) {
        List<DeferRecord> waiting = lifecycle.store().defers(run.id()).stream().filter(DeferRecord::abortable).toList();
        if (waiting.isEmpty()) {
            return;
        }
        FunctionRecord fn = lifecycle.registry().function(run.functionId());
        String appId = fn == null ? run.functionId() : fn.appId();
        var events = new ArrayList<Event>(waiting.size());
        for (DeferRecord d : waiting) {
            ObjectNode data = d.input() != null && d.input().isObject() ? ((ObjectNode) d.input()).deepCopy() : Json.nodes().objectNode();
            data.putObject("_inngest").put("fn_slug", d.fnSlug())
                    .put("parent_app_id", uuid("app/" + appId))
                    .put("parent_fn_id", Dispatches.fnUuid(run.functionId()))
                    .put("parent_fn_slug", run.functionId())
                    .put("parent_run_id", run.id());
            String eventId = Ulid.next();
            if (lifecycle.store().scheduleDefer(run.id(), d.hashedId(), eventId, now)) {
                events.add(new Event(eventId, Trigger.DEFERRED_SCHEDULE_EVENT, data, null, now, null));
            }
        }
        if (!events.isEmpty()) {
            LOG.info("run {}: scheduling {} deferred run(s)", run.id(), events.size());
            lifecycle.ingest(events);
        }
    }

    private static String uuid(String name) {
        return UUID.nameUUIDFromBytes(("loomstep-devserver/" + name).getBytes(StandardCharsets.UTF_8)).toString();
    }
}
