package dev.loomstep.devserver.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loomstep.devserver.executor.Lifecycle;
import dev.loomstep.devserver.executor.Races;
import dev.loomstep.devserver.store.AttemptRecord;
import dev.loomstep.devserver.store.FunctionRecord;
import dev.loomstep.devserver.store.PauseRecord;
import dev.loomstep.devserver.store.QueueItem;
import dev.loomstep.devserver.store.RunRecord;
import dev.loomstep.devserver.store.RunStatus;
import dev.loomstep.devserver.store.StepRecord;
import dev.loomstep.devserver.store.Store;
import dev.loomstep.protocol.Json;
import dev.loomstep.protocol.TimeStrings;
import dev.loomstep.protocol.SyncRequest.FunctionConfig;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A run as the REST API shows it: the list row ({@link Views#run}) plus its flow-control state, the
 * runs it invoked, and each step with what it waits for (a sleep's wake-up time; a wait's event,
 * expression, deadline and outcome; an invoke's child run), its failed attempts with their errors and
 * backoff, and a status consistent with the run's (no step is "waiting" on an ended run).
 */
final class RunView {
    /** Step statuses that mean "not over yet"; on an ended run they become {@code cancelled} or {@code not run}. */
    private static final Set<String> OPEN = Set.of("waiting", "running", "planned", "errored", "not found");

    private final Lifecycle lifecycle;
    private final Store store;

    RunView(Lifecycle lifecycle) {
        this.lifecycle = lifecycle;
        this.store = lifecycle.store();
    }

    /** A row of a runs list: the plain run and, for a run that is not moving, why. */
    ObjectNode row(RunRecord r) {
        FunctionRecord fn = lifecycle.registry().function(r.functionId());
        ObjectNode o = Views.run(r, fn, null);
        o.set("flow_control", flowControl(r, fn));
        o.put("is_deferred", r.event() != null && dev.loomstep.Trigger.DEFERRED_SCHEDULE_EVENT.equals(r.event().name()));
        return o;
    }

    /** The whole run: row, invoked runs and the annotated step timeline. */
    ObjectNode full(RunRecord r) {
        ObjectNode o = row(r);
        o.put("rerun_of", store.rerunOf(r.id()).orElse(null));
        DeferViews.add(o, r, store);
        ArrayNode reruns = o.putArray("reruns");
        store.reruns(r.id()).forEach(reruns::add);
        ArrayNode children = o.putArray("invoked_runs");
        Map<String, RunRecord> childByStep = new HashMap<>();
        for (RunRecord c : store.invokedBy(r.id())) {
            String stepId = c.invoker().substring(c.invoker().indexOf('.') + 1);
            childByStep.put(stepId, c);
            FunctionRecord cf = lifecycle.registry().function(c.functionId());
            children.addObject().put("run_id", c.id()).put("function_id", c.functionId())
                    .put("function_name", cf == null ? c.functionId() : cf.name())
                    .put("status", c.status().name()).put("step_id", stepId);
        }
        Map<String, JsonNode> details = store.stepDetails(r.id());
        Map<String, List<AttemptRecord>> attempts = new HashMap<>();
        List<AttemptRecord> callAttempts = new ArrayList<>();
        for (AttemptRecord a : store.attempts(r.id())) {
            if (a.ofCall()) {
                callAttempts.add(a);
            } else {
                attempts.computeIfAbsent(a.stepId(), k -> new ArrayList<>()).add(a);
            }
        }
        callAttempts(o, r, callAttempts);
        ArrayNode steps = o.putArray("steps");
        List<StepRecord> records = store.steps(r.id());
        Map<String, String> winners = Races.winners(records, details);
        Map<String, String> names = new HashMap<>();
        for (StepRecord s : records) {
            names.put(s.id(), s.name());
            ObjectNode step = step(r, s, details.get(s.id()), attempts.getOrDefault(s.id(), List.of()), childByStep.get(s.id()));
            String race = text(details.get(s.id()), "race");
            if (race != null && winners.containsKey(race)) {
                String winner = winners.get(race);
                step.put("race", winner == null ? (r.status().finished() ? "undecided" : "racing") : winner.equals(s.id()) ? "won" : "lost");
            }
            steps.add(step);
        }
        ArrayNode races = o.putArray("races");
        winners.forEach((race, winner) -> races.addObject().put("race", race).put("winner_step_id", winner)
                .put("winner_name", winner == null ? null : names.get(winner)));
        if (r.events().size() > 1) {
            o.set("batch_events", Json.toTree(r.events())); // every event of a batch, for the trigger panel
        }
        o.set("sdk_spans", TraceRoutes.view(store.spans(r.id()))); // the SDK's extended traces, drawn in the waterfall
        MetadataRoutes.attach(o, store.metadata(r.id()));
        return o;
    }

    /**
     * Function-level attempts (the function threw outside a step, so the whole call is retried): listed as
     * {@code attempt_errors} like a step's, the newest error as {@code last_error}, and while a retry is
     * pending {@code next_attempt_at}, so a run failing before its first step does not look idle.
     */
    private void callAttempts(ObjectNode o, RunRecord r, List<AttemptRecord> list) {
        list.sort(Comparator.comparingLong(AttemptRecord::at).thenComparingInt(AttemptRecord::attempt));
        o.set("attempt_errors", attemptErrors(list));
        AttemptRecord last = list.isEmpty() ? null : list.get(list.size() - 1);
        o.set("last_error", last == null || last.error() == null ? Json.nodes().nullNode() : Json.toTree(last.error()));
        boolean pending = last != null && !r.status().finished() && last.retryAt() != null
                && last.retryAt() > lifecycle.clock().millis() && store.itemExists(last.callItemId());
        o.put("next_attempt_at", pending ? Views.time(last.retryAt()) : null);
    }

    private static ArrayNode attemptErrors(List<AttemptRecord> failed) {
        ArrayNode errors = Json.nodes().arrayNode();
        for (AttemptRecord a : failed) {
            ObjectNode e = errors.addObject();
            e.put("attempt", a.attempt());
            e.put("at", Views.time(a.at()));
            e.set("error", a.error() == null ? Json.nodes().nullNode() : Json.toTree(a.error()));
            e.put("retry_at", Views.time(a.retryAt()));
        }
        return errors;
    }

    private ObjectNode step(RunRecord run, StepRecord s, JsonNode detail, List<AttemptRecord> failed, RunRecord child) {
        ObjectNode o = Views.step(s);
        boolean open = !s.memoized() && OPEN.contains(s.status());
        if (open && run.status().finished()) {
            // The run ended while this step was still under way: it will never finish.
            o.put("status", run.status() == RunStatus.Cancelled ? "cancelled" : "not run");
            o.put("ended_at", Views.time(run.endedAt()));
            open = false;
        }
        if ("completed".equals(s.status())) {
            o.putNull("error"); // an earlier attempt's error; it is in attempt_errors
        }
        o.set("attempt_errors", attemptErrors(failed));
        o.put("reused_from", text(detail, "reused_from")); // memoized by Rerun from a step, from that run
        if (open && "errored".equals(s.status())) {
            store.item(run.id(), QueueItem.Kind.STEP, s.id()).or(() -> store.item(run.id(), QueueItem.Kind.GATEWAY, s.id()))
                    .ifPresent(i -> o.put("next_attempt_at", Views.time(i.dueAt())));
        }
        if (s.memoized() && isWait(s) && (s.memo() == null || s.memo().isNull())) {
            o.put("status", "timed out"); // resumed by its timeout with null: it did not complete its wait
        }
        switch (s.op() == null ? "" : s.op()) {
            case "Sleep" -> {
                // Long.valueOf: with a primitive long in one branch, the ternary would unbox the other
                // branch's null (a sleep that just woke has no WAKE item left) and throw.
                Long wake = detail != null && detail.hasNonNull("wake_at") ? Long.valueOf(detail.get("wake_at").asLong())
                        : store.item(run.id(), QueueItem.Kind.WAKE, s.id()).map(QueueItem::dueAt).orElse(null);
                o.putObject("sleep").put("wake_at", Views.time(wake));
            }
            case "WaitForEvent" -> o.set("wait", waitView(run, s, detail, open));
            case "WaitForSignal" -> o.set("signal", signalView(run, s, detail, open));
            case "InvokeFunction" -> o.set("invoke", invokeView(s, detail, child, open));
            case "Gateway" -> o.set("fetch", detail == null ? Json.nodes().objectNode() : detail);
            case "AIGateway" -> o.set("ai", detail == null ? Json.nodes().objectNode().put("type", "step.ai.infer")
                    : ((ObjectNode) detail.deepCopy()).put("type", "step.ai.infer"));
            default -> {
                if (detail != null && "step.ai.wrap".equals(detail.path("type").asText(null))) {
                    o.set("ai", detail);
                }
            }
        }
        return o;
    }

    private ObjectNode waitView(RunRecord run, StepRecord s, JsonNode detail, boolean open) {
        ObjectNode w = Json.nodes().objectNode();
        PauseRecord pause = open ? store.pause(run.id(), s.id()).orElse(null) : null;
        String event = text(detail, "event");
        String expression = text(detail, "expression");
        Long timeoutAt = detail != null && detail.hasNonNull("timeout_at") ? detail.get("timeout_at").asLong() : null;
        if (pause != null) {
            event = event != null ? event : pause.eventName();
            expression = expression != null ? expression : pause.expression() != null ? pause.expression() : pause.match();
            timeoutAt = timeoutAt != null ? timeoutAt : pause.expiresAt() == Long.MAX_VALUE ? null : pause.expiresAt();
        }
        w.put("event", event);
        w.put("expression", expression);
        w.put("timeout_at", Views.time(timeoutAt));
        if (s.memoized()) {
            JsonNode memo = s.memo();
            boolean matched = memo != null && memo.isObject() && memo.has("name");
            w.put("outcome", matched ? "matched" : "timed_out");
            if (matched) {
                w.put("matched_event_id", memo.path("id").asText(null));
            }
        } else {
            w.put("outcome", open ? "waiting" : "not matched");
        }
        return w;
    }

    private static boolean isWait(StepRecord s) {
        return "WaitForEvent".equals(s.op()) || "WaitForSignal".equals(s.op());
    }

    /** A {@code waitForSignal}: its signal, deadline and outcome (waiting, received with the data, timed out). */
    private ObjectNode signalView(RunRecord run, StepRecord s, JsonNode detail, boolean open) {
        ObjectNode w = Json.nodes().objectNode();
        PauseRecord pause = open ? store.pause(run.id(), s.id()).orElse(null) : null;
        String signal = text(detail, "signal") != null ? text(detail, "signal") : pause == null ? null : pause.eventName();
        Long timeoutAt = detail != null && detail.hasNonNull("timeout_at") ? Long.valueOf(detail.get("timeout_at").asLong())
                : pause == null ? null : Long.valueOf(pause.expiresAt());
        w.put("signal", signal);
        w.put("timeout_at", Views.time(timeoutAt));
        if (s.memoized()) {
            JsonNode got = s.memo() == null ? null : s.memo().get("data");
            boolean received = got != null && got.isObject();
            w.put("outcome", received ? "received" : "timed_out");
            w.set("data", received && got.has("data") ? got.get("data") : Json.nodes().nullNode());
        } else {
            w.put("outcome", open ? "waiting" : "not received");
            w.putNull("data");
        }
        return w;
    }

    private static ObjectNode invokeView(StepRecord s, JsonNode detail, RunRecord child, boolean open) {
        ObjectNode i = Json.nodes().objectNode();
        i.put("function_id", text(detail, "function_id") != null ? text(detail, "function_id")
                : child != null ? child.functionId() : null);
        i.put("run_id", child == null ? null : child.id());
        i.put("run_status", child == null ? null : child.status().name());
        i.put("timeout_at", Views.time(detail != null && detail.hasNonNull("timeout_at") ? detail.get("timeout_at").asLong() : null));
        String outcome;
        if (s.memoized()) {
            JsonNode err = s.memo() == null ? null : s.memo().get("error");
            outcome = err == null ? "completed" : err.path("name").asText().contains("Timeout") ? "timed_out" : "failed";
        } else {
            outcome = open ? "waiting" : "not finished";
        }
        i.put("outcome", outcome);
        return i;
    }

    /**
     * What flow control does to the run, as far as the devserver knows: a call held for a concurrency
     * slot, a first call queued for later (throttle, priority), and whether a debounce or a batch
     * started it. An empty array when none applies.
     */
    private ArrayNode flowControl(RunRecord r, FunctionRecord fn) {
        ArrayNode out = Json.nodes().arrayNode();
        FunctionConfig c = fn == null ? null : fn.config();
        if (r.status() == RunStatus.Running) {
            lifecycle.waits().concurrencyHeldSince(r.id()).ifPresent(since -> out.addObject()
                    .put("kind", "concurrency").put("state", "waiting").put("since", since.toString())
                    .put("detail", "queued behind the concurrency limit" + concurrencyLimit(c)));
            if (r.startedAt() == null) {
                long now = lifecycle.clock().millis();
                store.items(r.id(), QueueItem.Kind.DISCOVER).stream().findFirst().filter(i -> i.dueAt() > now).ifPresent(i -> {
                    String kind = c != null && c.throttle() != null ? "throttle" : c != null && c.priority() != null ? "priority" : "delay";
                    out.addObject().put("kind", kind).put("state", "waiting").put("until", Instant.ofEpochMilli(i.dueAt()).toString())
                            .put("detail", switch (kind) {
                                case "throttle" -> "throttled: queued for its start slot";
                                case "priority" -> "delayed by its priority";
                                default -> "queued to start later";
                            });
                });
            }
        }
        if (c != null && r.invoker() == null) {
            if (c.debounce() != null) {
                out.addObject().put("kind", "debounce").put("state", "applied")
                        .put("detail", "debounced: started with the last event of a burst (period " + TimeStrings.format(c.debounce().period()) + ")");
            }
            if (c.batchEvents() != null) {
                out.addObject().put("kind", "batch").put("state", "applied").put("events", r.events().size())
                        .put("detail", "batched: " + r.events().size() + " event" + (r.events().size() == 1 ? "" : "s")
                                + " (max " + c.batchEvents().maxSize() + ")");
            }
        }
        return out;
    }

    private static String concurrencyLimit(FunctionConfig c) {
        if (c == null || c.concurrency() == null || c.concurrency().isEmpty()) {
            return "";
        }
        return " (" + String.join(", ", c.concurrency().stream().map(x -> "limit " + x.limit()
                + (x.key() == null ? "" : " per " + x.key())).toList()) + ")";
    }

    private static String text(JsonNode n, String field) {
        return n == null || !n.hasNonNull(field) ? null : n.get(field).asText();
    }
}
