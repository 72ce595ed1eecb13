package dev.loomstep.devserver.executor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loomstep.devserver.store.RunRecord;
import dev.loomstep.devserver.store.RunStatus;
import dev.loomstep.devserver.store.Store;
import dev.loomstep.protocol.Json;
import dev.loomstep.protocol.Op;
import dev.loomstep.protocol.WireOp;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The checkpoint API ({@code POST /v1/checkpoint/{runId}/async}): an SDK that runs steps back to back
 * within one call reports each step here instead of answering the call. The steps are committed as a
 * {@code StepRun} answer would commit them (memoized output, place in the stack, timeline row) before
 * the SDK is answered, so an acknowledged step is never run again.
 *
 * <p>A checkpoint must belong to the call in flight for its queue item ({@code qi_id}, and the
 * {@code generation_id} / {@code request_id} of that call when sent); any other is stale (409) and
 * changes nothing — the SDK then stops working on that call.
 */
public final class Checkpoints {
    private static final Logger LOG = LoggerFactory.getLogger(Checkpoints.class);
    private static final Pattern KEY_PREFIX = Pattern.compile("^signkey-\\w+-");

    private final Store store;
    private final Lifecycle lifecycle;
    private final Dispatches dispatches;
    private final String bearer;
    private final LongAdder accepted = new LongAdder();
    private final LongAdder refused = new LongAdder();
    private final LongAdder committedSteps = new LongAdder();

    /**
     * @param signingKey when set, callers must send {@code Authorization: Bearer <hashed key>} (the form
     *                   Inngest SDKs send); when null (dev mode) no authorization is asked for
     */
    public Checkpoints(Lifecycle lifecycle, Dispatches dispatches, String signingKey) {
        this.lifecycle = lifecycle;
        this.store = lifecycle.store();
        this.dispatches = dispatches;
        this.bearer = signingKey == null || signingKey.isBlank() ? null : "Bearer " + hashSigningKey(signingKey.trim());
    }

    /** Why a checkpoint was refused: the HTTP status and one line for the SDK. */
    public static final class Refused extends RuntimeException {
        private final int status;

        Refused(int status, String message) {
            super(message, null, false, false);
            this.status = status;
        }

        public int status() {
            return status;
        }
    }

    /** A step of the checkpoint body, checked. */
    private record Step(String id, String name, JsonNode data, JsonNode opts, StepTiming timing, JsonNode metadata, Op lazy) {}

    /**
     * Validates and commits one async checkpoint. Returns the number of steps newly committed.
     *
     * @throws Refused 401 (missing or wrong bearer), 400 (bad body), 404 (no such run), 409 (stale call)
     */
    public int checkpointAsync(String runId, JsonNode body, String authorization) {
        try {
            int n = commit(runId, body, authorization);
            accepted.increment();
            committedSteps.add(n);
            return n;
        } catch (Refused e) {
            refused.increment();
            throw e;
        }
    }

    /**
     * Checks the bearer of a checkpoint call that is not an async one (a durable endpoint's).
     *
     * @throws Refused 401 when a signing key is set and the caller did not send its hash
     */
    public void authorize(String authorization) {
        if (bearer != null && (authorization == null || !MessageDigest.isEqual(
                bearer.getBytes(StandardCharsets.UTF_8), authorization.trim().getBytes(StandardCharsets.UTF_8)))) {
            throw new Refused(401, "checkpoint refused: send Authorization: Bearer with the hashed signing key of this devserver");
        }
    }

    /** Counts since start, for {@code GET /dev}: checkpoints accepted and refused, steps they committed. */
    public ObjectNode stats() {
        return Json.nodes().objectNode().put("accepted", accepted.sum()).put("refused", refused.sum())
                .put("committed_steps", committedSteps.sum());
    }

    private int commit(String runId, JsonNode body, String authorization) {
        if (bearer != null && (authorization == null || !MessageDigest.isEqual(
                bearer.getBytes(StandardCharsets.UTF_8), authorization.trim().getBytes(StandardCharsets.UTF_8)))) {
            throw new Refused(401, "checkpoint refused: send Authorization: Bearer with the hashed signing key of this devserver");
        }
        if (body == null || !body.isObject()) {
            throw bad("the body must be a JSON object with run_id, fn_id, qi_id and steps");
        }
        String bodyRun = text(body, "run_id", true);
        if (!runId.equals(bodyRun)) {
            throw bad("run_id \"" + bodyRun + "\" is not the run of the URL (\"" + runId + "\")");
        }
        String fnId = text(body, "fn_id", true);
        String qi = text(body, "qi_id", true);
        long queueItemId;
        try {
            queueItemId = Long.parseLong(qi);
        } catch (NumberFormatException e) {
            throw bad("qi_id \"" + qi + "\" is not a queue item id this devserver sent");
        }
        Long generation = null;
        JsonNode g = body.get("generation_id");
        if (g != null && !g.isNull()) {
            if (!g.canConvertToLong() || !g.isIntegralNumber()) {
                throw bad("generation_id must be an integer, got " + g);
            }
            generation = g.asLong();
        }
        String requestId = text(body, "request_id", false);
        List<Step> steps = steps(body.get("steps"));
        long added = 0;
        for (Step s : steps) {
            if (s.lazy() != null) {
                continue; // a defer's data counts against the defers' own limits, not the run's state
            }
            int size = s.data() == null ? 4 : Json.toBytes(s.data()).length;
            added += size;
            if (size > RunState.MAX_STEP_OUTPUT_BYTES) {
                // As Inngest: 413; the SDK then answers its call with the step, where the step fails (RunState).
                throw new Refused(413, "step " + s.id() + " output is " + size + " bytes, over the limit of "
                        + RunState.MAX_STEP_OUTPUT_BYTES + " bytes (4 MiB)");
            }
        }

        // The hot path checks the call in memory and reads the run once, inside the unit that commits.
        Dispatches.Dispatch d = dispatches.current(queueItemId).filter(c -> c.runId().equals(runId)).orElse(null);
        if (d == null) {
            checkRun(store.run(runId).orElse(null), runId, fnId);
            throw stale(runId, "queue item " + qi + " is not being called");
        }
        if (!d.fnId().equals(fnId)) {
            throw bad("fn_id \"" + fnId + "\" is not the function of run " + runId);
        }
        if (generation != null && generation != d.generation()) {
            throw stale(runId, "generation " + generation + " is not the current call's (" + d.generation() + ")");
        }
        if (requestId != null && !requestId.equals(d.requestId())) {
            throw stale(runId, "request " + requestId + " is not the current call's");
        }
        d.lock().lock();
        try {
            if (d.ended()) {
                throw stale(runId, "the call of queue item " + qi + " has already answered");
            }
            long state = d.stateBytes() + added;
            if (state > RunState.MAX_STATE_BYTES) {
                // As Inngest: 413; the SDK answers its call with these steps instead, and the run fails there.
                throw new Refused(413, "run state size limit exceeded: these steps take run " + runId + " to " + state
                        + " bytes, over the limit of " + RunState.MAX_STATE_BYTES + " bytes (32 MiB)");
            }
            long now = lifecycle.clock().millis();
            int committed = store.tx(() -> {
                RunStatus status = store.runStatus(runId).orElse(null);
                if (status == null || status.finished() || !store.itemExists(queueItemId)) {
                    throw stale(runId, "the run has ended or its call was cancelled");
                }
                int n = 0;
                for (Step s : steps) {
                    switch (s.lazy()) {
                        case Op.DeferAdd add -> lifecycle.deferrals().add(runId, add, now);
                        case Op.DeferAbort abort -> lifecycle.deferrals().abort(runId, abort, now);
                        case null, default -> { }
                    }
                }
                long seq = store.nextSeq(runId); // once for the whole checkpoint (a fan-out's holds hundreds of steps)
                for (Step s : steps) {
                    if (s.lazy() != null) {
                        continue;
                    }
                    ObjectNode memo = Json.nodes().objectNode();
                    memo.set("data", s.data());
                    // the SDK's own timing; else the step ran after the call's previous checkpoint
                    if (store.memoizeAt(runId, seq, s.id(), s.name(), "StepRun", "completed", memo, null, d.attempt() + 1,
                            StepTiming.startOr(s.timing(), d.lastCheckpointAt()), StepTiming.endOr(s.timing(), now))) {
                        seq++;
                        n++;
                        Gateways.noteWrapInput(store, runId, s.id(), s.opts());
                        OpMetadata.record(store, runId, s.id(), s.metadata(), now);
                    }
                }
                return n;
            });
            d.checkpointed(now);
            d.stateBytes(state);
            return committed;
        } finally {
            d.lock().unlock();
        }
    }

    /** 404 for an unknown run, 400 for a function that is not the run's. */
    private static void checkRun(RunRecord run, String runId, String fnId) {
        if (run == null) {
            throw new Refused(404, "no run with id \"" + runId + "\"");
        }
        if (!Dispatches.fnUuid(run.functionId()).equals(fnId)) {
            throw bad("fn_id \"" + fnId + "\" is not the function of run " + runId);
        }
    }

    private static List<Step> steps(JsonNode steps) {
        if (steps == null || !steps.isArray()) {
            throw bad("steps must be an array of StepRun ops");
        }
        var out = new ArrayList<Step>();
        for (int i = 0; i < steps.size(); i++) {
            JsonNode s = steps.get(i);
            if (!s.isObject()) {
                throw bad("steps[" + i + "] is not an op object");
            }
            String op = s.path("op").asText("");
            String id = s.path("id").asText("");
            if (id.isBlank()) {
                throw bad("steps[" + i + "] (" + (op.isBlank() ? "no op" : op) + ") has no id");
            }
            if (op.equals("DeferAdd") || op.equals("DeferAbort")) {
                // a defer rides along with the checkpoint, as with an answer
                out.add(new Step(id, null, null, null, null, null, Op.fromWire(Json.mapper().convertValue(s, WireOp.class))));
                continue;
            }
            if (!op.equals("StepRun") && !op.equals("Step")) {
                // As Inngest: only steps that already ran can be checkpointed; everything else is the call's answer.
                throw bad("cannot checkpoint op \"" + op + "\" (steps[" + i + "], id " + id + "): only StepRun");
            }
            String name = s.path("displayName").asText("");
            if (name.isBlank()) {
                name = s.path("name").asText(null);
            }
            JsonNode data = s.get("data");
            out.add(new Step(id, name, data == null ? Json.nodes().nullNode() : data, s.get("opts"), StepTiming.of(s), s.get("metadata"), null));
        }
        return out;
    }

    private static String text(JsonNode body, String field, boolean required) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) {
            if (required) {
                throw bad(field + " is missing");
            }
            return null;
        }
        if (!n.isTextual() || n.asText().isBlank()) {
            throw bad(field + " must be a non-empty string, got " + n);
        }
        return n.asText();
    }

    private static Refused bad(String message) {
        return new Refused(400, "invalid checkpoint: " + message);
    }

    private static Refused stale(String runId, String why) {
        LOG.debug("run {}: stale checkpoint refused: {}", runId, why);
        return new Refused(409, "stale dispatch: " + why);
    }

    /** The form SDKs send: the key's prefix kept, the rest (hex) replaced by the SHA-256 of its bytes. */
    static String hashSigningKey(String key) {
        var m = KEY_PREFIX.matcher(key);
        String prefix = m.find() ? m.group() : "";
        String rest = key.substring(prefix.length());
        try {
            byte[] bytes;
            try {
                bytes = HexFormat.of().parseHex(rest);
            } catch (IllegalArgumentException notHex) {
                bytes = rest.getBytes(StandardCharsets.UTF_8);
            }
            return prefix + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
