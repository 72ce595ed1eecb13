package dev.loomstep.devserver.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loomstep.Trigger;
import dev.loomstep.devserver.store.DeferRecord;
import dev.loomstep.devserver.store.RunRecord;
import dev.loomstep.devserver.store.Store;

/** A run's defers as its page shows them: what it deferred ({@code defers}), and the run that deferred it ({@code deferred_by}). */
final class DeferViews {
    private DeferViews() {}

    static void add(ObjectNode o, RunRecord r, Store store) {
        ArrayNode defers = o.putArray("defers");
        for (DeferRecord d : store.defers(r.id())) {
            ObjectNode v = defers.addObject().put("id", d.userlandId()).put("hashed_id", d.hashedId()).put("function", d.fnSlug())
                    .put("status", d.status()).put("reason", d.reason()).put("event_id", d.eventId());
            v.set("data", d.input());
            String child = d.eventId() == null ? null : store.runsForEvent(d.eventId()).stream().map(RunRecord::id).findFirst().orElse(null);
            v.put("run_id", child);
        }
        if (r.event() != null && Trigger.DEFERRED_SCHEDULE_EVENT.equals(r.event().name())) {
            JsonNode meta = r.event().data().path("_inngest");
            o.putObject("deferred_by").put("run_id", meta.path("parent_run_id").asText(null))
                    .put("function_id", meta.path("parent_fn_slug").asText(null));
        }
    }
}
