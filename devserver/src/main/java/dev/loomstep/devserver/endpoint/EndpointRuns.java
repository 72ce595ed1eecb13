package dev.loomstep.devserver.endpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loomstep.Event;
import dev.loomstep.devserver.executor.Backoff;
import dev.loomstep.devserver.executor.Checkpoints;
import dev.loomstep.devserver.executor.Dispatches;
import dev.loomstep.devserver.executor.Executor;
import dev.loomstep.devserver.executor.Lifecycle;
import dev.loomstep.devserver.executor.SdkAnswer;
import dev.loomstep.devserver.executor.SdkClient;
import dev.loomstep.devserver.executor.StepTiming;
import dev.loomstep.devserver.internal.Ulid;
import dev.loomstep.devserver.store.AppRecord;
import dev.loomstep.devserver.store.AttemptRecord;
import dev.loomstep.devserver.store.FunctionRecord;
import dev.loomstep.devserver.store.QueueItem;
import dev.loomstep.devserver.store.RunRecord;
import dev.loomstep.devserver.store.RunStatus;
import dev.loomstep.devserver.store.Store;
import dev.loomstep.protocol.Json;
import dev.loomstep.protocol.Op;
import dev.loomstep.protocol.StepIds;
import dev.loomstep.protocol.SyncRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Durable endpoint runs, as Inngest serves them: an SDK's HTTP handler runs its steps in the client's
 * request and checkpoints them synchronously. {@code POST /v1/checkpoint} creates the run (and, the first
 * time, the endpoint's function, under an app named for the endpoint's origin) with the triggering
 * {@code inngest/http.request} event and the steps already run; {@code POST /v1/checkpoint/{runId}/steps}
 * adds steps while the request goes on. {@code RunComplete} completes the run with the handler's response;
 * any op the request cannot finish (a sleep, a wait, a step error to retry) hands the run to the queue,
 * which resumes it by calling the endpoint again ({@link EndpointTransport}). From then on, and once the
 * run ended, the request's checkpoints are stale: 409, and the SDK stops its handler.
 */
public final class EndpointRuns {
    private static final Logger LOG = LoggerFactory.getLogger(EndpointRuns.class);
    /** Like JS: a function-level result or error is reported under the hash of the step id "complete". */
    static final String COMPLETE_ID = StepIds.sha1Hex("complete");
    /** The framework the apps of durable endpoints are listed with. */
    public static final String FRAMEWORK = "durable-endpoint";
    /** The runtime type of an endpoint's function: the executor resumes it with the original request. */
    public static final String RUNTIME = "sync";
    private static final int DEFAULT_RETRIES = 3;

    private final Lifecycle lifecycle;
    private final Store store;
    private final Executor executor;
    private final Checkpoints auth;
    private final Backoff backoff;
    private final RunTokens tokens;
    /**
     * Runs whose request handed them to the queue: that request's later checkpoints are stale. In memory and
     * bounded (the oldest forgotten first): a request outlives its run's hand-over by seconds, not by
     * {@value #REMEMBERED} runs.
     */
    private final Set<String> continuedAsync = java.util.Collections.synchronizedSet(java.util.Collections.newSetFromMap(
            new java.util.LinkedHashMap<String, Boolean>() {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
                    return size() > REMEMBERED;
                }
            }));
    private static final int REMEMBERED = 100_000;
    private final ReentrantLock functionsLock = new ReentrantLock();

    public EndpointRuns(Lifecycle lifecycle, Executor executor, Checkpoints auth, Backoff backoff, RunTokens tokens) {
        this.lifecycle = lifecycle;
        this.store = lifecycle.store();
        this.executor = executor;
        this.auth = auth;
        this.backoff = backoff;
        this.tokens = tokens;
    }

    public RunTokens tokens() {
        return tokens;
    }

    /** Why a call was refused: the HTTP status and one line for the SDK. */
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

    /** {@code POST /v1/checkpoint}: creates the run with its steps; answers its ids and its output token. */
    public ObjectNode start(JsonNode body, String authorization) {
        authorize(authorization);
        if (body == null || !body.isObject()) {
            throw bad("the body must be a JSON object with run_id, event and steps");
        }
        String runId = text(body, "run_id");
        if (!runId.matches("[0-9A-HJKMNP-TV-Z]{26}")) {
            throw bad("run_id \"" + runId + "\" is not a ULID");
        }
        JsonNode ev = body.get("event");
        if (ev == null || !ev.isObject() || !ev.path("data").isObject()) {
            throw bad("event must be the inngest/http.request event object, with data");
        }
        JsonNode data = ev.get("data");
        String domain = data.path("domain").asText("");
        if (!domain.matches("https?://[^\\s/?#]+")) {
            throw bad("event.data.domain must be the endpoint's origin (scheme://host[:port]), got \"" + domain + "\"");
        }
        String method = data.path("method").asText("");
        if (method.isBlank()) {
            throw bad("event.data.method is missing");
        }
        String slug = data.path("fn").asText("");
        if (slug.isBlank()) {
            slug = method + " " + data.path("path").asText("/"); // as Inngest names an unnamed endpoint
        }
        JsonNode r = body.get("retries");
        int retries = r == null || r.isNull() ? DEFAULT_RETRIES : r.asInt(DEFAULT_RETRIES);
        if (retries < 0 || retries > 20) {
            throw bad("retries must be between 0 and 20, got " + r);
        }
        SdkAnswer.Ops ops = ops(body.get("steps"));
        int version = body.path("request_version").canConvertToInt() ? body.get("request_version").asInt() : SdkClient.VERSION_UNKNOWN;
        Event event;
        try {
            event = Json.mapper().treeToValue(ev, Event.class);
        } catch (Exception e) {
            throw bad("event is not an event object: " + e.getMessage());
        }
        if (!"inngest/http.request".equals(event.name())) {
            throw bad("event.name must be \"inngest/http.request\", got \"" + event.name() + "\"");
        }
        if (store.run(runId).isPresent()) {
            throw new Refused(409, "Run already exists");
        }
        FunctionRecord fn = function(domain, slug, retries);
        long now = lifecycle.clock().millis();
        Event stored = event.withId(event.id() == null ? Ulid.next() : event.id()).withTs(event.ts() == null ? now : event.ts());
        RunRecord run = new RunRecord(runId, fn.id(), stored.id(), List.of(stored), RunStatus.Running, null, null, now, now, null,
                false, version, null);
        store.txRun(() -> {
            if (store.run(runId).isPresent()) {
                throw new Refused(409, "Run already exists");
            }
            store.insertRun(run);
            store.markStarted(runId, now);
        });
        LOG.info("run {} of durable endpoint {} ({} {}) started by its request", runId, fn.id(), method, data.path("path").asText("/"));
        apply(run, fn, ops, now);
        ObjectNode out = Json.nodes().objectNode();
        ObjectNode d = out.putObject("data");
        d.put("fn_id", Dispatches.fnUuid(fn.id()));
        d.put("app_id", UUID.nameUUIDFromBytes(fn.appId().getBytes(StandardCharsets.UTF_8)).toString());
        d.put("run_id", runId);
        d.put("token", tokens.output(runId));
        d.put("realtime_token", tokens.realtime(runId));
        return out;
    }

    /** {@code POST /v1/checkpoint/{runId}/steps}: more steps of a run its request still runs. */
    public void steps(String runId, JsonNode body, String authorization) {
        authorize(authorization);
        if (body == null || !body.isObject()) {
            throw bad("the body must be a JSON object with fn_id, app_id, run_id and steps");
        }
        String bodyRun = text(body, "run_id");
        if (!runId.equals(bodyRun)) {
            throw bad("run_id \"" + bodyRun + "\" is not the run of the URL (\"" + runId + "\")");
        }
        SdkAnswer.Ops ops = ops(body.get("steps"));
        RunRecord run = store.run(runId).orElseThrow(() -> new Refused(404, "no run with id \"" + runId + "\""));
        FunctionRecord fn = lifecycle.registry().function(run.functionId());
        if (fn == null || !isEndpoint(fn)) {
            throw bad("run " + runId + " is not a durable endpoint's run");
        }
        String fnId = body.path("fn_id").asText("");
        if (!fnId.isEmpty() && !fnId.equals(Dispatches.fnUuid(fn.id()))) {
            throw bad("fn_id \"" + fnId + "\" is not the function of run " + runId);
        }
        if (run.status().finished()) {
            throw stale(runId, "the run has ended (" + run.status() + ")");
        }
        if (continuedAsync.contains(runId)) {
            throw stale(runId, "the run was handed to the queue; its request may not add steps any more");
        }
        apply(run, fn, ops, lifecycle.clock().millis());
    }

    /** Whether {@code fn} is a durable endpoint's function (resumed with the original request). */
    public static boolean isEndpoint(FunctionRecord fn) {
        var steps = fn.config().steps();
        var step = steps == null ? null : steps.get("step");
        return step != null && step.runtime() != null && RUNTIME.equals(step.runtime().type());
    }

    private void apply(RunRecord run, FunctionRecord fn, SdkAnswer.Ops answer, long now) {
        var rest = new ArrayList<Op>();
        store.txRun(() -> {
            RunStatus status = store.runStatus(run.id()).orElse(null);
            if (status == null || status.finished()) {
                throw stale(run.id(), "the run has ended");
            }
            for (Op op : answer.ops()) {
                switch (op) {
                    case Op.StepRun s -> {
                        ObjectNode memo = Json.nodes().objectNode();
                        memo.set("data", s.data() == null ? Json.nodes().nullNode() : s.data());
                        StepTiming t = answer.timings().get(s.id());
                        store.memoize(run.id(), s.id(), Executor.label(s.displayName(), s.name()), "StepRun", "completed", memo, null, 1,
                                StepTiming.startOr(t, now), StepTiming.endOr(t, now));
                    }
                    case Op.RunComplete c -> lifecycle.complete(run.id(), c.data());
                    case Op.StepFailed f when COMPLETE_ID.equals(f.id()) -> lifecycle.fail(run.id(), f.error());
                    case Op.StepError e when COMPLETE_ID.equals(e.id()) -> retryRun(run, fn, e, now);
                    default -> rest.add(op);
                }
            }
            if (!rest.isEmpty()) {
                continuedAsync.add(run.id());
                executor.continueFromCheckpoint(run, fn, new SdkAnswer.Ops(List.copyOf(rest), answer.noRetry(), answer.retryAfter(),
                        answer.timings(), answer.metadata()), now);
            }
        });
    }

    /** The handler threw outside a step: the run is called again after the backoff, as a failed call would be. */
    private void retryRun(RunRecord run, FunctionRecord fn, Op.StepError e, long now) {
        continuedAsync.add(run.id());
        if (fn.maxAttempts() <= 1) {
            lifecycle.fail(run.id(), e.error());
            return;
        }
        Duration delay = backoff.after(0);
        LOG.info("run {}: durable endpoint {} failed in its request ({}); calling it again in {} ms", run.id(), fn.id(),
                e.error() == null ? "no error" : e.error().message(), delay.toMillis());
        store.noteAttempt(new AttemptRecord(run.id(), AttemptRecord.callStepId(0), 1, now, e.error(), now + delay.toMillis()));
        lifecycle.enqueue(run.id(), QueueItem.Kind.DISCOVER, null, 1, now + delay.toMillis(), null);
    }

    /** The endpoint's function, created (or its retries updated) the first time a run of it starts. */
    private FunctionRecord function(String domain, String slug, int retries) {
        String appId = "endpoint " + domain.replaceFirst("^https?://", "");
        String fnId = appId + " " + slug;
        FunctionRecord existing = lifecycle.registry().function(fnId);
        if (existing != null && existing.maxAttempts() == retries + 1) {
            return existing;
        }
        functionsLock.lock();
        try {
            long now = lifecycle.clock().millis();
            var step = new SyncRequest.StepConfig("step", slug, new SyncRequest.Runtime(RUNTIME, domain), new SyncRequest.Retries(retries));
            var config = new SyncRequest.FunctionConfig(fnId, slug, List.of(), Map.of("step", step), null, null, null, null, null,
                    null, null, null, null, null);
            var fn = new FunctionRecord(fnId, appId, config, now);
            var functions = new ArrayList<FunctionRecord>();
            for (FunctionRecord f : lifecycle.registry().functions()) {
                if (f.appId().equals(appId) && !f.id().equals(fnId)) {
                    functions.add(f);
                }
            }
            functions.add(fn);
            store.txRun(() -> {
                store.upsertApp(new AppRecord(appId, domain, null, FRAMEWORK, null, now));
                store.replaceFunctions(appId, functions);
            });
            lifecycle.registry().reload();
            return fn;
        } finally {
            functionsLock.unlock();
        }
    }

    private void authorize(String authorization) {
        try {
            auth.authorize(authorization);
        } catch (Checkpoints.Refused e) {
            throw new Refused(e.status(), e.getMessage());
        }
    }

    private static SdkAnswer.Ops ops(JsonNode steps) {
        if (steps == null || steps.isNull()) {
            return new SdkAnswer.Ops(List.of(), false, null);
        }
        if (!steps.isArray()) {
            throw bad("steps must be an array of ops");
        }
        if (steps.isEmpty()) {
            return new SdkAnswer.Ops(List.of(), false, null);
        }
        SdkAnswer answer = SdkClient.classify(206, Json.toBytes(steps), null, null);
        if (!(answer instanceof SdkAnswer.Ops o)) {
            throw bad("steps are not ops: " + (answer instanceof SdkAnswer.Retry r ? r.error().message() : answer));
        }
        for (Op op : o.ops()) {
            if (op instanceof Op.Other other) {
                throw bad("op \"" + other.raw().op() + "\" (step " + other.id() + ") cannot be checkpointed by a durable endpoint");
            }
        }
        return o;
    }

    private static String text(JsonNode body, String field) {
        JsonNode n = body.get(field);
        if (n == null || !n.isTextual() || n.asText().isBlank()) {
            throw bad(field + " must be a non-empty string, got " + n);
        }
        return n.asText();
    }

    private static Refused bad(String message) {
        return new Refused(400, "invalid checkpoint: " + message);
    }

    private static Refused stale(String runId, String why) {
        LOG.debug("run {}: stale endpoint checkpoint refused: {}", runId, why);
        return new Refused(409, "stale: " + why);
    }
}
