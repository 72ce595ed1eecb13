package dev.loomstep.devserver.api;

import static dev.loomstep.devserver.api.Rest.data;
import static dev.loomstep.devserver.api.Rest.param;
import static dev.loomstep.devserver.api.Rest.path;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loomstep.Event;
import dev.loomstep.devserver.executor.Lifecycle;
import dev.loomstep.devserver.internal.Ulid;
import dev.loomstep.devserver.store.EventRecord;
import dev.loomstep.devserver.store.RunRecord;
import dev.loomstep.devserver.store.Store;
import dev.loomstep.protocol.Json;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.RoutingHandler;
import dev.loomstep.protocol.TimeStrings;
import java.time.Duration;
import java.util.List;

/** {@code /v1/events}: the stream (search, pages), one event, the runs it started, and Replay. */
final class EventRoutes {
    private final Lifecycle lifecycle;
    private final Store store;
    private final RunView runs;

    EventRoutes(Lifecycle lifecycle, RunView runs) {
        this.lifecycle = lifecycle;
        this.store = lifecycle.store();
        this.runs = runs;
    }

    void addTo(RoutingHandler r, HttpApi api) {
        r.get("/v1/events", api.blocking(this::list))
                .get("/v1/events/{eventId}", api.blocking(this::get))
                .get("/v1/events/{eventId}/runs", api.blocking(this::eventRuns))
                .get("/v1/events/{eventId}/runs/ended", api.blocking(this::eventRunsEnded))
                .post("/v1/events/{eventId}/replay", api.blocking(this::replay));
    }

    /**
     * Newest first; {@code name} (exact), {@code search} (an id, or the start of a name),
     * {@code internal=false} (without {@code inngest/...} events), {@code from}/{@code until} (received at or after,
     * before), {@code include_runs=true}, {@code cursor}, {@code limit}.
     */
    private Object list(HttpServerExchange ex, byte[] body) {
        Long beforeAt = null;
        String beforeId = null;
        String c = param(ex, "cursor");
        if (c != null) {
            String[] parts = Rest.parseCursor(c);
            beforeAt = Long.parseLong(parts[0]);
            beforeId = parts[1];
        }
        int limit = Rest.limit(ex);
        Long from = Rest.time(ex, "from");
        Long until = Rest.time(ex, "until");
        if (from != null && until != null && from >= until) {
            throw ApiException.badRequest("from must be before until");
        }
        List<EventRecord> events = store.events(param(ex, "name"), param(ex, "search"),
                !"false".equals(param(ex, "internal")), from, until, beforeAt, beforeId, limit + 1);
        boolean withRuns = "true".equals(param(ex, "include_runs"));
        ArrayNode a = Json.nodes().arrayNode();
        for (EventRecord e : events.stream().limit(limit).toList()) {
            ObjectNode o = Views.event(e);
            if (withRuns) {
                ArrayNode started = o.putArray("runs");
                for (RunRecord r : store.runsForEvent(e.event().id())) {
                    started.addObject().put("run_id", r.id()).put("function_id", r.functionId()).put("status", r.status().name());
                }
            }
            a.add(o);
        }
        String next = null;
        if (events.size() > limit) {
            EventRecord last = events.get(limit - 1);
            next = Rest.cursor(last.receivedAt(), last.event().id());
        }
        return Rest.page(a, next);
    }

    private EventRecord event(HttpServerExchange ex) {
        String id = path(ex, "eventId");
        return store.event(id).orElseThrow(() -> ApiException.notFound("no event with id \"" + id + "\""));
    }

    private Object get(HttpServerExchange ex, byte[] body) {
        return data(Views.event(event(ex)));
    }

    private Object eventRuns(HttpServerExchange ex, byte[] body) {
        ArrayNode a = Json.nodes().arrayNode();
        for (RunRecord r : store.runsForEvent(event(ex).event().id())) {
            a.add(runs.row(r));
        }
        return data(a);
    }

    /** The longest {@code timeout} a wait for runs' ends may ask for; a longer wait asks again. */
    private static final Duration MAX_END_WAIT = Duration.ofMinutes(5);

    /**
     * Like {@code /v1/events/{id}/runs}, but answers once every run the event started has ended, or
     * at {@code timeout} (a time string, default 30s) with the runs as they are then. Waiting costs
     * a parked virtual thread and no polling, so a client learns each run's end at once.
     */
    private Object eventRunsEnded(HttpServerExchange ex, byte[] body) {
        String t = param(ex, "timeout");
        Duration timeout;
        try {
            timeout = t == null ? Duration.ofSeconds(30) : TimeStrings.parse(t);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("timeout: " + e.getMessage());
        }
        if (timeout.compareTo(MAX_END_WAIT) > 0) {
            throw ApiException.badRequest("timeout must be at most " + MAX_END_WAIT.toMinutes() + "m, got \"" + t + "\"");
        }
        String id = event(ex).event().id();
        try {
            lifecycle.runEnds().await(() -> store.runsForEvent(id), timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException(503, "the devserver is shutting down; ask again once it is back");
        }
        return eventRuns(ex, body);
    }

    /** Sends the same event again: same name, data and user, a new id and the current time. */
    private Object replay(HttpServerExchange ex, byte[] body) {
        Event old = event(ex).event();
        Event again = new Event(Ulid.next(), old.name(), old.data(), old.user(), lifecycle.clock().millis(), old.v());
        lifecycle.ingest(List.of(again));
        ObjectNode o = Json.nodes().objectNode();
        o.putArray("ids").add(again.id());
        o.put("status", 200);
        o.put("replay_of", old.id());
        return o;
    }
}
