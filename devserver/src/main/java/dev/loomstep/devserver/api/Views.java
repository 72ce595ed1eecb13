package dev.loomstep.devserver.api;

import dev.loomstep.devserver.endpoint.EndpointRuns;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loomstep.devserver.store.AppRecord;
import dev.loomstep.devserver.store.EventRecord;
import dev.loomstep.devserver.store.FunctionRecord;
import dev.loomstep.devserver.store.RunRecord;
import dev.loomstep.devserver.store.StepRecord;
import dev.loomstep.protocol.Json;
import java.time.Instant;
import java.util.List;

/**
 * The JSON the REST API answers: Inngest's v1 run shape ({@code run_id, function_id, event_id, status,
 * run_started_at, ended_at, output}) plus the error and a step timeline, and plain views of apps,
 * functions and events.
 */
final class Views {
    private Views() {}

    static ObjectNode run(RunRecord r, FunctionRecord fn, List<StepRecord> steps) {
        ObjectNode o = Json.nodes().objectNode();
        o.put("run_id", r.id());
        o.put("function_id", r.functionId());
        if (fn != null) {
            o.put("function_name", fn.name());
            o.put("app_id", fn.appId());
        }
        o.put("event_id", r.eventId());
        o.put("event_name", r.events().isEmpty() ? null : r.events().get(0).name()); // the runs list's Trigger column
        o.put("event_count", r.events().size());
        if (fn != null && EndpointRuns.isEndpoint(fn) && r.event() != null) {
            // A durable endpoint's run: the request that started it (and that the executor replays to resume it).
            var d = r.event().data();
            String query = d.path("query_params").asText("");
            o.putObject("durable_endpoint").put("method", d.path("method").asText(""))
                    .put("url", d.path("domain").asText("") + d.path("path").asText("/") + (query.isEmpty() ? "" : "?" + query));
        }
        o.put("status", r.status().name());
        o.put("queued_at", time(r.createdAt()));
        o.put("run_started_at", time(r.startedAt()));
        o.put("ended_at", time(r.endedAt()));
        o.set("output", r.output() == null ? Json.nodes().nullNode() : r.output());
        o.set("error", r.error() == null ? Json.nodes().nullNode() : Json.toTree(r.error()));
        if (r.invoker() != null) {
            o.put("parent_run_id", r.invoker().substring(0, Math.max(0, r.invoker().indexOf('.'))));
        }
        if (steps != null) {
            ArrayNode a = o.putArray("steps");
            for (StepRecord s : steps) {
                a.add(step(s));
            }
        }
        return o;
    }

    static ObjectNode step(StepRecord s) {
        ObjectNode o = Json.nodes().objectNode();
        o.put("id", s.id());
        o.put("name", s.name());
        o.put("op", s.op());
        o.put("status", s.status());
        o.put("started_at", time(s.startedAt()));
        o.put("ended_at", time(s.endedAt()));
        if (s.startedAt() != null && s.endedAt() != null) {
            o.put("duration_ms", Math.max(0, s.endedAt() - s.startedAt()));
        } else {
            o.putNull("duration_ms");
        }
        o.put("attempts", s.attempts());
        o.set("output", output(s));
        o.set("error", s.error() == null ? Json.nodes().nullNode() : Json.toTree(s.error()));
        if (s.input() != null) {
            o.set("input", s.input()); // Rerun from a step with edited input, until the step runs
        }
        return o;
    }

    /** What a step produced: the {@code data} of a {@code {data}} memo, else the memo itself (an event, null). */
    private static JsonNode output(StepRecord s) {
        JsonNode memo = s.memo();
        if (!s.memoized() || memo == null) {
            return Json.nodes().nullNode();
        }
        if (memo.isObject() && memo.size() == 1 && memo.has("data")) {
            return memo.get("data");
        }
        if (memo.isObject() && memo.size() == 1 && memo.has("error")) {
            return Json.nodes().nullNode();
        }
        return memo;
    }

    static ObjectNode app(AppRecord a, long functionCount) {
        ObjectNode o = Json.nodes().objectNode();
        o.put("id", a.id());
        o.put("name", a.id());
        o.put("url", a.connect() ? null : a.url());
        o.put("sdk", a.sdk());
        o.put("framework", a.framework());
        o.put("app_version", a.appVersion());
        o.put("synced_at", time(a.syncedAt()));
        o.put("function_count", functionCount);
        return o;
    }

    static ObjectNode function(FunctionRecord f) {
        ObjectNode o = Json.nodes().objectNode();
        o.put("id", f.id());
        o.put("name", f.name());
        o.put("app_id", f.appId());
        o.put("url", f.url());
        o.set("triggers", Json.toTree(f.config().triggers() == null ? List.of() : f.config().triggers()));
        o.put("retries", f.maxAttempts() - 1);
        o.set("config", Json.toTree(f.config()));
        o.put("synced_at", time(f.updatedAt()));
        return o;
    }

    static ObjectNode event(EventRecord e) {
        ObjectNode o = (ObjectNode) Json.toTree(e.event());
        o.put("received_at", time(e.receivedAt()));
        return o;
    }

    static String time(Long epochMillis) {
        return epochMillis == null ? null : Instant.ofEpochMilli(epochMillis).toString();
    }
}
