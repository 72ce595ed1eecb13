package dev.loomstep.devserver.api;

import static dev.loomstep.devserver.api.Rest.data;
import static dev.loomstep.devserver.api.Rest.path;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loomstep.Event;
import dev.loomstep.devserver.executor.Lifecycle;
import dev.loomstep.devserver.internal.Ulid;
import dev.loomstep.devserver.flow.FlowControl;
import dev.loomstep.devserver.store.FunctionRecord;
import dev.loomstep.devserver.store.RunRecord;
import dev.loomstep.protocol.Json;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.RoutingHandler;
import java.util.List;

/** {@code /v1/functions}: what is synced, one function with the events flow control holds for it, and Invoke. */
final class FunctionRoutes {
    private final Lifecycle lifecycle;
    private final RunView runs;

    FunctionRoutes(Lifecycle lifecycle, RunView runs) {
        this.lifecycle = lifecycle;
        this.runs = runs;
    }

    void addTo(RoutingHandler r, HttpApi api) {
        r.get("/v1/functions", api.blocking(this::list))
                .get("/v1/functions/{functionId}", api.blocking(this::get))
                .post("/v1/functions/{functionId}/invoke", api.blocking(this::invoke));
    }

    private Object list(HttpServerExchange ex, byte[] body) {
        return list();
    }

    /** Every synced function, as {@code GET /v1/functions} answers. */
    ObjectNode list() {
        ArrayNode a = Json.nodes().arrayNode();
        lifecycle.registry().functions().forEach(f -> a.add(Views.function(f)));
        return data(a);
    }

    /** A function by its composite id ({@code shop-process-order}) or its own id within its app ({@code process-order}). */
    private FunctionRecord function(HttpServerExchange ex) {
        return function(path(ex, "functionId"));
    }

    private FunctionRecord function(String id) {
        FunctionRecord exact = lifecycle.registry().function(id);
        if (exact != null) {
            return exact;
        }
        List<FunctionRecord> own = lifecycle.registry().functions().stream().filter(f -> f.id().equals(f.appId() + "-" + id)).toList();
        if (own.size() == 1) {
            return own.get(0);
        }
        throw own.isEmpty() ? ApiException.notFound("no synced function with id \"" + id + "\"")
                : ApiException.badRequest("\"" + id + "\" is a function of several apps; use the composite id ("
                        + String.join(", ", own.stream().map(FunctionRecord::id).toList()) + ")");
    }

    private Object get(HttpServerExchange ex, byte[] body) {
        FunctionRecord f = function(ex);
        ObjectNode o = Views.function(f);
        // Its onFailure handler: the function triggered by inngest/function.failed for this function's id
        // (how the SDKs register one), so the config shows what runs when it fails.
        ArrayNode handlers = o.putArray("failure_handlers");
        for (FunctionRecord h : lifecycle.registry().functions()) {
            if (h.config().triggers() != null && h.config().triggers().stream().anyMatch(t -> Lifecycle.FAILED.equals(t.event())
                    && t.expression() != null && (t.expression().contains("'" + f.id() + "'") || t.expression().contains("\"" + f.id() + "\"")))) {
                handlers.addObject().put("id", h.id()).put("name", h.name()).put("retries", h.maxAttempts() - 1);
            }
        }
        ArrayNode held = o.putArray("held_events");
        for (FlowControl.Held h : lifecycle.policies().flowControl().held(f.id())) {
            ObjectNode x = held.addObject().put("kind", h.kind()).put("key", h.key()).put("due_at", h.dueAt().toString());
            ArrayNode ids = x.putArray("event_ids");
            h.eventIds().forEach(ids::add);
        }
        return data(o);
    }

    /**
     * Runs the function with the given data as {@code step.invoke} does: an {@code inngest/function.invoked}
     * event naming it in {@code data._inngest.fn_id}, whatever its triggers. Body: {@code {"data": {...}}}
     * (optionally {@code "user"}). Answers the event id and the run it started.
     */
    private Object invoke(HttpServerExchange ex, byte[] body) {
        FunctionRecord f = function(ex);
        return invoke(f.id(), body.length == 0 ? Json.nodes().objectNode() : Rest.parseJson(body, "invoke"));
    }

    /** Invokes the function ({@code functionId} as {@code /v1/functions/{id}/invoke} takes it) with {@code {data, user}}. */
    ObjectNode invoke(String functionId, JsonNode in) {
        FunctionRecord f = function(functionId);
        if (!in.isObject()) {
            throw ApiException.badRequest("invoke: expected {\"data\": {...}}, got " + in.getNodeType());
        }
        JsonNode d = in.get("data");
        if (d != null && !d.isNull() && !d.isObject()) {
            throw ApiException.badRequest("invoke: \"data\" must be a JSON object, got " + d.getNodeType());
        }
        ObjectNode data = d instanceof ObjectNode o ? o.deepCopy() : Json.nodes().objectNode();
        data.putObject("_inngest").put("fn_id", f.id());
        JsonNode user = in.get("user");
        Event e = new Event(Ulid.next(), Lifecycle.INVOKED, data, user == null || user.isNull() ? null : user,
                lifecycle.clock().millis(), null);
        lifecycle.ingest(List.of(e));
        ObjectNode out = Json.nodes().objectNode();
        out.put("event_id", e.id());
        List<RunRecord> started = lifecycle.store().runsForEvent(e.id());
        out.put("run_id", started.isEmpty() ? null : started.get(0).id());
        if (started.isEmpty()) {
            out.put("message", "flow control started no run (rate limit, idempotency or singleton); see the devserver's log");
        }
        return data(out);
    }
}
