package dev.loomstep.test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loomstep.Event;
import dev.loomstep.Function;
import dev.loomstep.NonRetriableException;
import dev.loomstep.RetryAfterException;
import dev.loomstep.devserver.executor.Backoff;
import dev.loomstep.devserver.executor.SdkAnswer;
import dev.loomstep.devserver.executor.SdkClient;
import dev.loomstep.devserver.expr.CelConditions;
import dev.loomstep.protocol.CallRequest;
import dev.loomstep.protocol.CallResult;
import dev.loomstep.protocol.Json;
import dev.loomstep.protocol.Op;
import dev.loomstep.protocol.TimeStrings;
import dev.loomstep.protocol.WireError;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * One run on the {@link TestEngine}: the executor's loop, in virtual time. Work items are ordered by
 * their due time (then by when they were queued), so sleeps, waits, retries and parallel branches
 * interleave as they would on a real executor — without anyone waiting.
 */
final class TestRun {
    /** An event a test supplies for waits; {@code after} null means "there whenever a wait starts". */
    record Arrival(Duration after, Event event) {}

    /** Guards a test against a function that never stops asking (a loop around a non-deterministic step). */
    static final int MAX_CALLS = 10_000;
    private static final CelConditions CEL = new CelConditions();
    private static final Backoff BACKOFF = new Backoff(1.0);

    private sealed interface Work permits Call, Resolve {}

    /** A call request: discovery (stepId null) or a targeted call of a planned step. */
    private record Call(String stepId, int attempt) implements Work {}

    /** A sleep's end, a wait's answer or an invoke's result: memoize {@code memo}, then discover. */
    private record Resolve(String stepId, JsonNode memo, WireError error) implements Work {}

    private record Item(long due, long seq, Work work) {}

    /** A step as the run sees it; becomes a {@link StepResult}. */
    private static final class Step {
        final String id;
        final StepKind kind;
        final JsonNode options;
        JsonNode output;
        WireError error;
        int attempts;
        boolean mocked;

        Step(String id, StepKind kind, JsonNode options) {
            this.id = id;
            this.kind = kind;
            this.options = options;
        }
    }

    private final TestEngine engine;
    private final String functionId;
    private final Function<?, ?> function;
    private final List<Event> events;
    private final List<Arrival> arrivals;
    private final String until;
    private final String runId;
    private final int maxAttempts;
    private final long startMillis;
    private final Map<String, JsonNode> memo = new LinkedHashMap<>();
    private final List<String> stack = new ArrayList<>();
    private final Map<String, Step> steps = new LinkedHashMap<>();
    private final List<Event> sent = new ArrayList<>();
    private final List<List<String>> parallel = new ArrayList<>();
    private final PriorityQueue<Item> queue = new PriorityQueue<>(Comparator.comparingLong(Item::due).thenComparingLong(Item::seq));
    private long seq;
    private long now;
    private boolean disableImmediate;
    private int calls;
    private RunStatus status;
    private JsonNode output;
    private WireError error;
    private String pending;

    TestRun(TestEngine engine, String functionId, List<Event> trigger, List<Arrival> arrivals, String until) {
        this(engine, functionId, trigger, arrivals, until, engine.start.toEpochMilli());
    }

    private TestRun(TestEngine engine, String functionId, List<Event> trigger, List<Arrival> arrivals, String until, long startMillis) {
        this.engine = engine;
        this.functionId = functionId;
        this.function = engine.app.function(functionId).orElseThrow(() -> new IllegalArgumentException(
                "no function \"" + functionId + "\" in the test engine's app; it has " + engine.app.functionsById().keySet()));
        this.startMillis = startMillis;
        this.now = startMillis;
        this.events = trigger.stream().map(e -> stamp(e, startMillis)).toList();
        this.arrivals = arrivals;
        this.until = until;
        this.runId = engine.nextId("run");
        Integer retries = function.retries();
        this.maxAttempts = (retries == null ? 3 : retries) + 1;
        // A mocked body must never run: have every run step planned, then answer mocked ones here.
        this.disableImmediate = !engine.mocks.isEmpty();
    }

    private Event stamp(Event e, long at) {
        Event out = e.id() == null ? e.withId(engine.nextId("evt")) : e;
        return out.ts() == null ? out.withTs(at) : out;
    }

    RunResult execute() {
        enqueue(now, new Call(null, 0));
        while (status == null && !queue.isEmpty()) {
            Item item = queue.poll();
            now = Math.max(now, item.due());
            switch (item.work()) {
                case Call c -> call(c);
                case Resolve r -> {
                    memoize(r.stepId(), r.memo());
                    Step s = steps.get(r.stepId());
                    if (s != null) {
                        s.output = r.error == null ? outputOf(r.memo()) : null;
                        s.error = r.error;
                    }
                    reached(s);
                    discover();
                }
            }
        }
        if (status == null) {
            status = RunStatus.RUNNING;
            if (pending == null) {
                pending = "stopped after step \"" + until + "\"";
            }
        }
        RunResult onFailure = status == RunStatus.FAILED ? runOnFailure() : null;
        var results = steps.values().stream()
                .map(s -> new StepResult(s.id, s.kind, s.options, s.output, s.error, s.attempts, s.mocked)).toList();
        return new RunResult(functionId, runId, status, output, error, pending, results, sent, parallel, onFailure,
                Duration.ofMillis(now - startMillis), calls);
    }

    private void enqueue(long due, Work work) {
        queue.add(new Item(due, seq++, work));
    }

    private void discover() {
        if (status == null && queue.stream().noneMatch(i -> i.work() instanceof Call c && c.stepId() == null)) {
            enqueue(now, new Call(null, 0));
        }
    }

    private void reached(Step s) {
        if (until != null && s != null && s.id.equals(until) && status == null) {
            status = RunStatus.RUNNING;
            pending = "stopped after step \"" + until + "\"";
        }
    }

    // ---------------------------------------------------------------- calls

    private void call(Call c) {
        if (++calls > MAX_CALLS) {
            fail(WireError.of("TestEngineError", "more than " + MAX_CALLS + " call requests; does the function loop on a step"
                    + " whose id changes every time?"));
            return;
        }
        var ctx = new CallRequest.CallContext(runId, c.attempt(), null, disableImmediate, false, maxAttempts,
                new CallRequest.Stack(List.copyOf(stack), stack.size()), null);
        var request = new CallRequest(events.get(0), events, new LinkedHashMap<>(memo), ctx, null, false);
        CallResult r;
        engine.sendTo(sent);
        try {
            r = engine.app.call(functionId, c.stepId() == null ? "step" : c.stepId(), request, null);
        } finally {
            engine.sendTo(null);
        }
        SdkAnswer answer = SdkClient.classify(r.status(), r.body(), r.failure() ? Boolean.toString(r.noRetry()) : null, r.retryAfter());
        switch (answer) {
            case SdkAnswer.Done done -> complete(done.output());
            case SdkAnswer.Failed failed -> {
                if (c.stepId() != null) {
                    Step s = steps.get(c.stepId());
                    if (s != null) {
                        s.attempts = c.attempt() + 1;
                        s.error = failed.error();
                    }
                }
                fail(failed.error());
            }
            case SdkAnswer.Retry retry -> retryCall(c, retry);
            // An in-process call always answers; a transport failure is the devserver's case only.
            case SdkAnswer.Unanswered unanswered -> retryCall(c, new SdkAnswer.Retry(unanswered.error(), null));
            case SdkAnswer.Ops ops -> handleOps(c, ops);
        }
    }

    private void retryCall(Call c, SdkAnswer.Retry retry) {
        int next = c.attempt() + 1;
        Step s = c.stepId() == null ? null : steps.get(c.stepId());
        if (s != null) {
            s.attempts = next;
        }
        if (next >= maxAttempts) {
            if (s != null) {
                s.error = retry.error();
            }
            fail(retry.error());
            return;
        }
        Duration delay = retry.retryAfter() != null ? retry.retryAfter() : BACKOFF.after(c.attempt());
        enqueue(now + delay.toMillis(), new Call(c.stepId(), next));
    }

    private void handleOps(Call c, SdkAnswer.Ops answer) {
        List<Op> ops = answer.ops();
        if (ops.isEmpty() || ops.stream().allMatch(op -> op instanceof Op.Other)) {
            String what = ops.isEmpty() ? "no ops" : "op \"" + ((Op.Other) ops.get(0)).raw().op() + "\"";
            retryCall(c, new SdkAnswer.Retry(WireError.of("UnsupportedOp", "the SDK answered " + what
                    + ", which the test engine cannot act on"), null));
            return;
        }
        // Defers (step.defer) ride along with other ops; the test engine starts no deferred runs, so it only
        // reads the function's own error that JS's form sends beside them, on the "complete" id.
        List<Op> work = ops.stream().filter(op -> !(op instanceof Op.DeferAdd || op instanceof Op.DeferAbort)).toList();
        if (work.isEmpty()) {
            discover();
            return;
        }
        for (Op op : work) {
            if ((op instanceof Op.StepError || op instanceof Op.StepFailed) && COMPLETE_ID.equals(op.id())) {
                WireError error = op instanceof Op.StepError e ? e.error() : ((Op.StepFailed) op).error();
                if (op instanceof Op.StepError && !answer.noRetry()) {
                    retryCall(c, new SdkAnswer.Retry(error, answer.retryAfter()));
                } else {
                    fail(error);
                }
                return;
            }
        }
        ops = work;
        if (ops.size() > 1) {
            disableImmediate = true; // as executors do once parallel work is found
        }
        int attempts = c.attempt() + 1;
        var planned = new ArrayList<String>();
        boolean discover = false;
        for (Op op : ops) {
            switch (op) {
                case Op.StepRun s -> {
                    Step step = note(s.id(), label(s.displayName(), s.name()), runKind(s.opts()), s.opts());
                    step.attempts = attempts;
                    step.output = s.data() == null ? Json.nodes().nullNode() : s.data();
                    memoize(s.id(), Json.nodes().objectNode().set("data", step.output));
                    reached(step);
                    discover = true;
                }
                case Op.StepError e when answer.noRetry() -> discover |= stepFailed(e.id(), label(e.displayName(), e.name()), e.error(), attempts);
                case Op.StepError e -> {
                    Step step = note(e.id(), label(e.displayName(), e.name()), StepKind.RUN, null);
                    step.attempts = attempts;
                    if (attempts < maxAttempts) {
                        Duration delay = answer.retryAfter() != null ? answer.retryAfter() : BACKOFF.after(c.attempt());
                        enqueue(now + delay.toMillis(), new Call(e.id(), attempts));
                    } else {
                        discover |= stepFailed(e.id(), step.id, e.error(), attempts);
                    }
                }
                case Op.StepFailed f -> discover |= stepFailed(f.id(), label(f.displayName(), f.name()), f.error(), attempts);
                case Op.StepPlanned p -> {
                    if (memo.containsKey(p.id()) || queued(p.id())) {
                        continue;
                    }
                    Step step = note(p.id(), label(p.displayName(), p.name()), runKind(p.opts()), p.opts());
                    planned.add(step.id);
                    Mock mock = engine.mocks.get(step.id);
                    if (mock != null) {
                        answerWithMock(p.id(), step, mock);
                    } else {
                        enqueue(now, new Call(p.id(), 0));
                    }
                }
                case Op.Sleep s -> sleep(s);
                case Op.WaitForEvent w -> waitForEvent(w);
                case Op.InvokeFunction i -> invoke(i);
                case Op.StepNotFound n -> fail(WireError.of("StepNotFound", "step " + n.id() + " was planned but the function"
                        + " did not reach it when called for it; is the function deterministic?"));
                case Op.RunComplete done -> complete(done.data());
                case Op.WaitForSignal w -> waitForSignal(w);
                case Op.Other o -> pending = "the SDK answered op \"" + o.raw().op() + "\", which the test engine ignores";
                case Op.Gateway g -> executorStep(g.id(), g.displayName(), StepKind.FETCH, g.opts());
                case Op.AIGateway a -> executorStep(a.id(), a.displayName(), StepKind.AI_INFER, withoutKey(a.opts()));
                case Op.DeferAdd d -> { } // filtered out above
                case Op.DeferAbort a -> { }
            }
            if (status != null) {
                return;
            }
        }
        if (planned.size() > 1) {
            parallel.add(planned);
        }
        if (discover) {
            discover();
        }
    }

    /** The id the JS SDK gives the function's own end when it sends it as an op (SHA-1 of "complete"). */
    private static final String COMPLETE_ID = dev.loomstep.protocol.StepIds.sha1Hex("complete");

    private boolean queued(String stepId) {
        return queue.stream().anyMatch(i -> switch (i.work()) {
            case Call c -> stepId.equals(c.stepId());
            case Resolve r -> stepId.equals(r.stepId());
        });
    }

    private boolean stepFailed(String hashed, String id, WireError err, int attempts) {
        Step step = note(hashed, id, StepKind.RUN, null);
        step.attempts = attempts;
        step.error = err;
        memoizeError(hashed, err);
        reached(step);
        return true;
    }

    /** A mock's answer, with the step's retries and backoff when it throws. */
    private void answerWithMock(String hashed, Step step, Mock mock) {
        step.mocked = true;
        switch (mock) {
            case Mock.Value v -> {
                step.attempts = 1;
                step.output = Json.toTree(v.value());
                memoize(hashed, Json.nodes().objectNode().set("data", step.output));
                reached(step);
                discover();
            }
            case Mock.Error e -> {
                long delay = 0;
                int attempts = 1;
                while (attempts < maxAttempts && !(e.error() instanceof NonRetriableException)) {
                    delay += e.error() instanceof RetryAfterException r ? retryAfter(r) : BACKOFF.after(attempts - 1).toMillis();
                    attempts++;
                }
                step.attempts = attempts;
                WireError err = WireError.from(e.error());
                step.error = err;
                enqueue(now + delay, new Resolve(hashed, errorMemo(err), err));
            }
        }
    }

    private static long retryAfter(RetryAfterException r) {
        String header = r.retryAfterHeader();
        try {
            return Long.parseLong(header) * 1000;
        } catch (NumberFormatException instant) {
            return Math.max(0, Instant.parse(header).toEpochMilli() - System.currentTimeMillis());
        }
    }

    // ---------------------------------------------------------------- sleeps, waits, invokes

    private void sleep(Op.Sleep s) {
        if (memo.containsKey(s.id()) || queued(s.id())) {
            return;
        }
        note(s.id(), label(s.displayName(), s.until()), StepKind.SLEEP, s.toWire().opts());
        long wake;
        try {
            wake = wakeTime(s.until(), now);
        } catch (IllegalArgumentException e) {
            fail(WireError.of("InvalidSleep", "step " + label(s.displayName(), null) + ": " + e.getMessage()));
            return;
        }
        enqueue(Math.max(now, wake), new Resolve(s.id(), Json.nodes().nullNode(), null));
    }

    /**
     * No signal reaches a run of the test engine (signals come from outside a run; the devserver of
     * {@code LoomstepExtension} has them): the wait ends empty at its timeout, in virtual time.
     */
    private void waitForSignal(Op.WaitForSignal w) {
        if (memo.containsKey(w.id()) || queued(w.id())) {
            return;
        }
        Step step = note(w.id(), label(w.displayName(), w.signal()), StepKind.WAIT_FOR_SIGNAL, w.toWire().opts());
        long expires;
        try {
            expires = wakeTime(w.timeout(), now);
        } catch (IllegalArgumentException e) {
            fail(WireError.of("InvalidWaitForSignal", "waitForSignal step " + step.id + " has an invalid timeout \"" + w.timeout() + "\""));
            return;
        }
        enqueue(expires, new Resolve(w.id(), Json.nodes().nullNode(), null));
    }

    private void waitForEvent(Op.WaitForEvent w) {
        if (memo.containsKey(w.id()) || queued(w.id())) {
            return;
        }
        Step step = note(w.id(), label(w.displayName(), w.event()), StepKind.WAIT_FOR_EVENT, w.toWire().opts());
        long expires = Long.MAX_VALUE;
        if (w.timeout() != null && !w.timeout().isBlank()) {
            try {
                expires = wakeTime(w.timeout(), now);
            } catch (IllegalArgumentException e) {
                fail(WireError.of("InvalidWaitForEvent", "waitForEvent step " + step.id + " has an invalid timeout \"" + w.timeout() + "\""));
                return;
            }
        }
        Event match = null;
        long at = Long.MAX_VALUE;
        for (Arrival a : arrivals) {
            long arrives = a.after() == null ? now : startMillis + a.after().toMillis();
            if (arrives < now || arrives > expires || arrives >= at || !a.event().name().equals(w.event())) {
                continue;
            }
            Event candidate = stamp(a.event(), arrives);
            if (CEL.waitFor(w.ifExpression(), w.match(), events.get(0), candidate)) {
                match = candidate;
                at = arrives;
            }
        }
        if (match != null) {
            enqueue(at, new Resolve(w.id(), Json.toTree(match), null));
        } else if (expires != Long.MAX_VALUE) {
            enqueue(expires, new Resolve(w.id(), Json.nodes().nullNode(), null));
        } else {
            pending = "step \"" + step.id + "\" waits for " + w.event() + " without a timeout, and no supplied event matches";
        }
    }

    /**
     * A step the executor performs (fetch, ai.infer): the test engine makes no network call, so the step
     * needs a mock (its result: a fetch's {@code {url, headers, body, status_code}}, a provider's response).
     */
    private void executorStep(String hashed, String displayName, StepKind kind, JsonNode opts) {
        if (memo.containsKey(hashed) || queued(hashed)) {
            return;
        }
        Step step = note(hashed, displayName, kind, opts);
        Mock mock = engine.mocks.get(step.id);
        if (mock != null) {
            answerWithMock(hashed, step, mock);
        } else {
            pending = "step \"" + step.id + "\" (" + kind.name().toLowerCase() + ") is performed by the executor, which the test"
                    + " engine does not call out for: give it a result with mock(\"" + step.id + "\", ...)";
        }
    }

    private static JsonNode withoutKey(JsonNode opts) {
        if (opts instanceof com.fasterxml.jackson.databind.node.ObjectNode o && o.has("auth_key")) {
            var copy = o.deepCopy();
            copy.remove("auth_key");
            return copy;
        }
        return opts;
    }

    private void invoke(Op.InvokeFunction i) {
        if (memo.containsKey(i.id()) || queued(i.id())) {
            return;
        }
        Step step = note(i.id(), label(i.displayName(), i.functionId()), StepKind.INVOKE, i.toWire().opts());
        JsonNode payload = i.payload() == null ? Json.nodes().objectNode() : i.payload();
        JsonNode data = payload.path("data");
        long timeout = Long.MAX_VALUE;
        if (i.timeout() != null && !i.timeout().isBlank()) {
            timeout = wakeTime(i.timeout(), now) - now;
        }
        Mock mock = engine.mocks.get(step.id);
        var stub = stub(i.functionId());
        if (mock != null) {
            answerWithMock(i.id(), step, mock);
            return;
        }
        if (stub != null) {
            step.attempts = 1;
            try {
                JsonNode result = Json.toTree(stub.apply(data));
                enqueue(now, new Resolve(i.id(), Json.nodes().objectNode().set("data", result), null));
            } catch (RuntimeException e) {
                WireError err = WireError.from(e);
                enqueue(now, new Resolve(i.id(), errorMemo(err), err));
            }
            return;
        }
        if (engine.app.function(i.functionId()).isEmpty()) {
            WireError err = WireError.of("Error", "could not invoke function \"" + i.functionId() + "\": the test engine has no"
                    + " such function; add it with TestEngine.Builder.functions(...) or stub it with stubInvoke(...)");
            enqueue(now, new Resolve(i.id(), errorMemo(err), err));
            return;
        }
        ObjectNode invokedData = data instanceof ObjectNode o ? o.deepCopy() : Json.nodes().objectNode();
        ObjectNode meta = invokedData.putObject("_inngest");
        meta.put("fn_id", i.functionId());
        meta.put("correlation_id", runId + "." + i.id());
        meta.put("source_fn_id", functionId);
        meta.put("name", step.id);
        JsonNode user = payload.get("user");
        Event invoked = new Event(engine.nextId("evt"), "inngest/function.invoked", invokedData,
                user == null || user.isNull() ? null : user, now, null);
        RunResult child = new TestRun(engine, i.functionId(), List.of(invoked), List.of(), null, now).execute();
        step.attempts = 1;
        long took = child.elapsed().toMillis();
        if (took > timeout) {
            WireError err = WireError.of("InngestInvokeTimeoutError", "Timed out waiting for invoked function to complete");
            enqueue(now + timeout, new Resolve(i.id(), errorMemo(err), err));
        } else if (child.status() == RunStatus.COMPLETED) {
            enqueue(now + took, new Resolve(i.id(), Json.nodes().objectNode().set("data", child.output()), null));
        } else if (child.status() == RunStatus.FAILED) {
            enqueue(now + took, new Resolve(i.id(), errorMemo(child.error()), child.error()));
        } else {
            pending = "invoked function " + i.functionId() + " did not finish: " + child;
        }
    }

    private java.util.function.Function<JsonNode, Object> stub(String compositeId) {
        var exact = engine.stubs.get(compositeId);
        if (exact != null) {
            return exact;
        }
        String prefix = engine.app.appId() + "-";
        return compositeId.startsWith(prefix) ? engine.stubs.get(compositeId.substring(prefix.length())) : null;
    }

    // ---------------------------------------------------------------- state

    private Step note(String hashed, String id, StepKind kind, JsonNode options) {
        return steps.computeIfAbsent(hashed, h -> new Step(id, kind, options));
    }

    private void memoize(String hashed, JsonNode value) {
        if (memo.put(hashed, value) == null) {
            stack.add(hashed);
        }
    }

    private void memoizeError(String hashed, WireError err) {
        memoize(hashed, errorMemo(err));
    }

    private static ObjectNode errorMemo(WireError err) {
        ObjectNode m = Json.nodes().objectNode();
        m.set("error", Json.toTree(err == null ? WireError.of("Error", "the step failed without an error") : err));
        return m;
    }

    /** What a step returned, from its memo: {@code {data}} for run and invoke, the bare value otherwise. */
    private static JsonNode outputOf(JsonNode memo) {
        return memo instanceof ObjectNode o && o.size() == 1 && o.has("data") ? o.get("data") : memo;
    }

    private static StepKind runKind(JsonNode opts) {
        String type = opts == null ? null : opts.path("type").asText(null);
        return switch (type == null ? "" : type) {
            case "step.sendEvent" -> StepKind.SEND_EVENT;
            case "step.sendSignal" -> StepKind.SEND_SIGNAL;
            case "step.realtime.publish" -> StepKind.REALTIME_PUBLISH;
            case "step.ai.wrap" -> StepKind.AI_WRAP;
            default -> StepKind.RUN;
        };
    }

    private void complete(JsonNode result) {
        status = RunStatus.COMPLETED;
        output = result == null ? Json.nodes().nullNode() : result;
    }

    private void fail(WireError err) {
        status = RunStatus.FAILED;
        error = err;
    }

    /** The function's onFailure handler, run here with the {@code inngest/function.failed} event Inngest sends. */
    private RunResult runOnFailure() {
        String failureId = functionId + "-failure";
        if (function.options().onFailure() == null || engine.app.function(failureId).isEmpty()) {
            return null;
        }
        ObjectNode data = Json.nodes().objectNode();
        data.put("function_id", functionId);
        data.put("run_id", runId);
        data.set("error", Json.toTree(error));
        data.set("event", Json.toTree(events.get(0)));
        data.set("events", Json.toTree(events));
        Event failed = new Event(runId, "inngest/function.failed", data, null, now, null);
        return new TestRun(engine, failureId, List.of(failed), List.of(), null, now).execute();
    }

    /** A sleep's or timeout's end: a time string from {@code from}, or an RFC 3339 instant. */
    static long wakeTime(String until, long from) {
        if (until == null || until.isBlank()) {
            throw new IllegalArgumentException("a sleep needs a duration (\"30s\") or an RFC 3339 time, got none");
        }
        try {
            return from + TimeStrings.parse(until).toMillis();
        } catch (IllegalArgumentException notDuration) {
            try {
                return OffsetDateTime.parse(until.trim()).toInstant().toEpochMilli();
            } catch (DateTimeParseException e) {
                throw new IllegalArgumentException("a sleep needs a duration (\"30s\") or an RFC 3339 time, got \"" + until + "\"");
            }
        }
    }

    private static String label(String displayName, String name) {
        return displayName != null && !displayName.isBlank() ? displayName : name;
    }
}
