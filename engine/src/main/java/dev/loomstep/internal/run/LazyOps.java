package dev.loomstep.internal.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.loomstep.protocol.CallRequest;
import dev.loomstep.protocol.CallResult;
import dev.loomstep.protocol.Json;
import dev.loomstep.protocol.Op;
import dev.loomstep.protocol.OpCode;
import dev.loomstep.protocol.WireError;
import dev.loomstep.protocol.WireOp;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The ops of one call request that have no moment of their own ({@code DeferAdd}, {@code DeferAbort}): they
 * wait here until the request sends something, and leave with it, as the JS SDK's lazy ops do: with the next
 * checkpoint ({@link #drain}), or in the answer ({@link #attachTo}). Branches of a fan-out may add to it from
 * their threads, so it is guarded by a lock (held only for list updates, never across I/O).
 */
final class LazyOps {
    private final ReentrantLock lock = new ReentrantLock();
    private final List<Op> buffer = new ArrayList<>();
    /** Hashed ids added in this request, whether or not they have left. */
    private final Set<String> seen = new HashSet<>();
    private final Map<String, CallRequest.DeferEntry> prior;

    /** @param prior the defers the executor already holds ({@code defers} of the call request) */
    LazyOps(Map<String, CallRequest.DeferEntry> prior) {
        this.prior = prior == null ? Map.of() : prior;
    }

    /** The executor's entry for a defer it already holds, or null. */
    CallRequest.DeferEntry prior(String hashedId) {
        return prior.get(hashedId);
    }

    /**
     * Adds {@code op} unless its id was added before in this request (false then). One the executor already
     * holds is only marked seen. An abort takes back a {@code DeferAdd} of its target that has not left yet.
     */
    boolean add(Op op) {
        lock.lock();
        try {
            if (!seen.add(op.id())) {
                return false;
            }
            if (op instanceof Op.DeferAdd && prior.containsKey(op.id())) {
                return true;
            }
            if (op instanceof Op.DeferAbort abort) {
                buffer.removeIf(o -> o instanceof Op.DeferAdd add && add.id().equals(abort.targetHashedId()));
            }
            buffer.add(op);
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Whether an op with this hashed id was added in this request. */
    boolean added(String hashedId) {
        lock.lock();
        try {
            return seen.contains(hashedId);
        } finally {
            lock.unlock();
        }
    }

    /** Takes the waiting ops, in the order they were added. */
    List<WireOp> drain() {
        lock.lock();
        try {
            if (buffer.isEmpty()) {
                return List.of();
            }
            var out = new ArrayList<WireOp>(buffer.size());
            for (Op op : buffer) {
                out.add(op.toWire());
            }
            buffer.clear();
            return out;
        } finally {
            lock.unlock();
        }
    }

    /**
     * The answer with the waiting ops: appended to a 206's ops, or before its {@code RunComplete}; a 200 becomes
     * {@code [ops…, RunComplete]} and a function's error {@code [ops…, StepError|StepFailed]} on the
     * {@code "complete"} id, as the JS SDK sends them. A stale checkpoint's refusal reports nothing.
     */
    CallResult attachTo(CallResult result) {
        List<WireOp> ops = drain();
        if (ops.isEmpty()) {
            return result;
        }
        JsonNode body = readTree(result.body());
        if (result.status() == 206 && body.isArray()) {
            ArrayNode out = Json.nodes().arrayNode();
            JsonNode last = body.isEmpty() ? null : body.get(body.size() - 1);
            boolean complete = last != null && "RunComplete".equals(last.path("op").asText());
            for (int i = 0; i < body.size() - (complete ? 1 : 0); i++) {
                out.add(body.get(i));
            }
            ops.forEach(o -> out.add(Json.toTree(o)));
            if (complete) {
                out.add(last);
            }
            return new CallResult(206, Json.toBytes(out), result.noRetry(), result.retryAfter(), result.failure());
        }
        ArrayNode out = Json.nodes().arrayNode();
        ops.forEach(o -> out.add(Json.toTree(o)));
        if (result.status() == 200) {
            out.add(Json.toTree(new Op.RunComplete(Checkpoints.RUN_COMPLETE_ID, body).toWire()));
            return new CallResult(206, Json.toBytes(out), false, null, false);
        }
        WireError error = Json.mapper().convertValue(body, WireError.class);
        if (error == null || "StaleDispatchError".equals(error.name())) {
            return result;
        }
        String code = (result.noRetry() ? OpCode.StepFailed : OpCode.StepError).name();
        out.add(Json.toTree(new WireOp(Checkpoints.RUN_COMPLETE_ID, code, null, null, null, null, error)));
        return new CallResult(206, Json.toBytes(out), result.noRetry(), result.retryAfter(), true);
    }

    private static JsonNode readTree(byte[] body) {
        try {
            return Json.mapper().readTree(body);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("the engine wrote an answer that is not JSON", e);
        }
    }
}
