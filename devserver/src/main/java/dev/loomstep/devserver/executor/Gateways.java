package dev.loomstep.devserver.executor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loomstep.devserver.queue.WorkQueue;
import dev.loomstep.devserver.store.AttemptRecord;
import dev.loomstep.devserver.store.FunctionRecord;
import dev.loomstep.devserver.store.QueueItem;
import dev.loomstep.devserver.store.QueueItem.Kind;
import dev.loomstep.devserver.store.RunRecord;
import dev.loomstep.devserver.store.SecretBox;
import dev.loomstep.devserver.store.Store;
import dev.loomstep.protocol.Json;
import dev.loomstep.protocol.Op;
import dev.loomstep.protocol.WireError;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code Gateway} and {@code AIGateway} ops: the SDK describes an HTTP request (a fetch, a model
 * call) and the executor makes it. Planning queues a {@link Kind#GATEWAY} item in the transaction that
 * handles the SDK's answer; the request itself is made outside any transaction when the item is due,
 * and its outcome is committed as the step's memo (with a discovery call) or as a failed attempt
 * retried after the backoff, until the function's attempts run out; then the step fails and the SDK
 * sees the error, as Inngest's executor does.
 */
final class Gateways {
    private static final Logger LOG = LoggerFactory.getLogger(Gateways.class);

    /** The payload field with the op's opts, sealed ({@link dev.loomstep.devserver.store.SecretBox}). */
    static final String SEALED_OPTS = "opts_sealed";

    private final Lifecycle lifecycle;
    private final Store store;
    private final Backoff backoff;
    private final GatewayCalls calls;

    Gateways(Lifecycle lifecycle, Backoff backoff, Duration timeout) {
        this.lifecycle = lifecycle;
        this.store = lifecycle.store();
        this.backoff = backoff;
        this.calls = new GatewayCalls(timeout);
    }

    /** Inside the answer's transaction: queue the request once (the SDK reports it again until it is memoized). */
    void plan(RunRecord run, Op op, long now) {
        String id = op.id();
        boolean ai = op instanceof Op.AIGateway;
        JsonNode opts = ai ? ((Op.AIGateway) op).opts() : ((Op.Gateway) op).opts();
        String displayName = ai ? ((Op.AIGateway) op).displayName() : ((Op.Gateway) op).displayName();
        if (store.step(run.id(), id).map(s -> s.memoized()).orElse(false) || store.item(run.id(), Kind.GATEWAY, id).isPresent()) {
            return;
        }
        String opName = ai ? "AIGateway" : "Gateway";
        ObjectNode payload = Json.nodes().objectNode();
        payload.put("op", opName);
        payload.put("name", displayName);
        // The opts carry the provider's API key and the fetch's headers: the row keeps them sealed.
        String plain = Json.toString(opts == null ? Json.nodes().objectNode() : opts);
        payload.put(SEALED_OPTS, store.secrets().seal(plain, context(run.id(), id)));
        store.noteStep(run.id(), id, displayName, opName, "running", 0, null, now);
        lifecycle.enqueue(run.id(), Kind.GATEWAY, id, 0, now, payload);
    }

    /** The op's opts: unsealed, or as they are in a row written before opts were sealed. */
    private JsonNode opts(JsonNode payload, QueueItem item) throws SecretBox.UnreadableSecret {
        if (!payload.has(SEALED_OPTS)) {
            return payload.path("opts");
        }
        String plain = store.secrets().open(payload.path(SEALED_OPTS).asText(), context(item.runId(), item.stepId()));
        try {
            return Json.mapper().readTree(plain);
        } catch (java.io.IOException e) {
            throw new SecretBox.UnreadableSecret("the saved request is not JSON: " + e.getMessage());
        }
    }

    /** What a sealed opts value is bound to: its run's step (a value copied to another row does not open). */
    private static String context(String runId, String stepId) {
        return "gateway " + runId + " " + stepId;
    }

    /** An {@code ai.wrap} step ran: its input is kept for the timeline (its output is the memo). */
    static void noteWrapInput(Store store, String runId, String stepId, JsonNode opts) {
        if (opts != null && "step.ai.wrap".equals(opts.path("type").asText(null))) {
            store.noteStepDetail(runId, stepId, Json.nodes().objectNode().put("type", "step.ai.wrap").set("input", opts.path("input")));
        }
    }

    /** The queue's handler for a due GATEWAY item. */
    void perform(QueueItem item, WorkQueue queue) throws InterruptedException {
        RunRecord run = store.run(item.runId()).orElse(null);
        if (run == null || run.status().finished()) {
            store.deleteItem(item.id());
            return;
        }
        JsonNode payload = item.payload() == null ? Json.nodes().objectNode() : item.payload();
        String op = payload.path("op").asText("Gateway");
        String name = payload.path("name").asText(null);
        long start = lifecycle.clock().millis();
        int attempts = item.attempt() + 1;
        store.noteStep(run.id(), item.stepId(), name, op, "running", attempts, null, start);
        JsonNode opts = null;
        String unreadable = null;
        try {
            opts = opts(payload, item);
        } catch (SecretBox.UnreadableSecret e) {
            // No attempt can do better: the step fails at once, with the reason in the run's timeline.
            LOG.warn("run {}: {} step {} cannot be made: {}", run.id(), op, name, e.getMessage());
            unreadable = e.getMessage();
        }
        GatewayCalls.Outcome out = unreadable == null ? calls.call(op, opts)
                : new GatewayCalls.Outcome(null, new WireError("AIGateway".equals(op) ? "AIGatewayError" : "GatewayError",
                        "Error making gateway request: " + unreadable, null, null), 0, Json.nodes().objectNode());
        boolean retryable = unreadable == null;
        if (queue.closing()) {
            return;
        }
        store.txRun(() -> {
            if (!store.itemExists(item.id())) {
                return; // the run ended (cancelled) while the request was in flight
            }
            store.noteStepDetail(run.id(), item.stepId(), out.detail());
            if (out.error() == null) {
                store.deleteItem(item.id());
                ObjectNode memo = Json.nodes().objectNode();
                memo.set("data", out.data());
                lifecycle.memoizeAndContinue(run.id(), item.stepId(), name, op, "completed", memo, null, attempts, start);
                return;
            }
            FunctionRecord fn = lifecycle.registry().function(run.functionId());
            int max = fn == null ? 1 : fn.maxAttempts();
            long now = lifecycle.clock().millis();
            if (attempts < max && retryable) {
                Duration delay = backoff.after(item.attempt());
                LOG.info("run {}: {} step {} attempt {} of {} failed ({}); retrying in {} ms", run.id(), op, name, attempts, max,
                        out.error().message(), delay.toMillis());
                store.noteStep(run.id(), item.stepId(), name, op, "errored", attempts, out.error(), start);
                store.noteAttempt(new AttemptRecord(run.id(), item.stepId(), attempts, now, out.error(), now + delay.toMillis()));
                store.reschedule(item, attempts, now + delay.toMillis()).ifPresent(next -> store.afterCommit(() -> queue.offer(next)));
                return;
            }
            LOG.info("run {}: {} step {} failed for good after {} attempts: {}", run.id(), op, name, attempts, out.error().message());
            store.deleteItem(item.id());
            store.noteAttempt(new AttemptRecord(run.id(), item.stepId(), attempts, now, out.error(), null));
            ObjectNode memo = Json.nodes().objectNode();
            memo.set("error", Json.toTree(out.error()));
            lifecycle.memoizeAndContinue(run.id(), item.stepId(), name, op, "failed", memo, out.error(), attempts, start);
        });
    }
}
