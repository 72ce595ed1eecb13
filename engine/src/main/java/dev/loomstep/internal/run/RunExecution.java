package dev.loomstep.internal.run;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loomstep.Defer;
import dev.loomstep.Deferred;
import dev.loomstep.Event;
import dev.loomstep.Function;
import dev.loomstep.FunctionHandler;
import dev.loomstep.Invoke;
import dev.loomstep.Loomstep;
import dev.loomstep.Settled;
import dev.loomstep.WaitForSignal;
import dev.loomstep.Step;
import dev.loomstep.StepFailedException;
import dev.loomstep.WaitForEvent;
import dev.loomstep.ai.Ai;
import dev.loomstep.fetch.FetchRequest;
import dev.loomstep.fetch.FetchResponse;
import dev.loomstep.internal.CallObserver;
import dev.loomstep.internal.broker.Abort;
import dev.loomstep.internal.broker.Branch;
import dev.loomstep.internal.broker.Broker;
import dev.loomstep.internal.run.PendingStep.Kind;
import dev.loomstep.middleware.Middleware;
import dev.loomstep.middleware.StepInfo;
import dev.loomstep.protocol.CallResult;
import dev.loomstep.protocol.Json;
import dev.loomstep.protocol.Op;
import dev.loomstep.protocol.StepIds;
import dev.loomstep.protocol.WireError;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One call request: replays the function against its memoized state and decides the answer — the
 * function's result, one executed step, or every op found at once. Implements the step tools the
 * handler calls.
 */
public final class RunExecution implements Step, Broker.Listener {
    private static final DateTimeFormatter RFC3339_MILLIS =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);
    private static final JavaType JSON_NODE = Json.mapper().constructType(JsonNode.class);
    private static final JsonNode SEND_EVENT_OPTS = Json.nodes().objectNode().put("type", "step.sendEvent");
    private static final JsonNode REALTIME_PUBLISH_OPTS = Json.nodes().objectNode().put("type", "step.realtime.publish");

    private final Loomstep app;
    /** The app's mapper for user values; the answer's envelope is always written with {@link Json}. */
    private final Codec codec;
    private final Function<?, ?> function;
    private final RunInput<?> input;
    private final Hooks hooks;
    private final List<Middleware> middleware;
    private final String target;
    private final boolean immediateAllowed;
    /** From the executor's {@code ctx.max_attempts}; null when it sent none (then only the executor knows). */
    private final Integer maxAttempts;
    private final Map<String, JsonNode> steps;
    /** The executor's completion order ({@code ctx.stack}); read only by races. */
    private final List<String> stack;
    private Map<String, Integer> stackPositions;
    /** Null unless this request checkpoints (see {@link Checkpoints}). */
    private final Checkpoints checkpoints;
    /** Hears the verdicts on steps and the function ({@link CallObserver.Call#NONE} when nobody listens). */
    private final CallObserver.Call observed;
    private final Broker broker = new Broker(this);
    private final Forks forks = new Forks(broker);
    private final Map<String, Integer> repeats = new HashMap<>();
    private final CompletableFuture<CallResult> answer = new CompletableFuture<>();
    private final Ai ai = new AiSteps(this);
    /** Null except in the test kit's replay check. */
    private final ReplayProbe probe;
    /** Defers waiting to ride along with this request's next message. */
    private final LazyOps lazy;
    private final Defers defers;

    private int memoRemaining;
    private boolean memoizationDone;
    /** Between the function-level {@code beforeExecution(null)} and {@code afterExecution(null)}. */
    private boolean functionExecuting;
    private boolean rootDone;
    private Object rootResult;
    private Throwable rootFailure;
    /** The targeted step's branch, parked on it until the function stops elsewhere (see {@link #quiescent}). */
    private Branch targetBranch;
    /** The fan-out whose branch steps run side by side right now; set before they are woken. */
    private FanOut fanOut;

    RunExecution(Loomstep app, Codec codec, Function<?, ?> function, RunInput<?> input, Hooks hooks, List<Middleware> middleware,
                 String stepId, boolean disableImmediateExecution, Integer maxAttemptsFromExecutor, Checkpoints checkpoints,
                 List<String> stack, CallObserver.Call observed, ReplayProbe probe, LazyOps lazy) {
        this.app = app;
        this.lazy = lazy;
        this.defers = new Defers(app, codec, lazy, input.runId());
        this.probe = probe;
        this.codec = codec;
        this.function = function;
        this.input = input;
        this.hooks = hooks;
        this.middleware = middleware;
        this.target = stepId == null || stepId.isEmpty() || stepId.equals("step") ? null : stepId;
        this.immediateAllowed = !disableImmediateExecution;
        this.maxAttempts = maxAttemptsFromExecutor;
        this.steps = input.memoizedSteps();
        this.memoRemaining = steps.size();
        this.checkpoints = checkpoints;
        this.stack = stack == null ? List.of() : stack;
        this.observed = observed;
    }

    /** Runs the function until the answer is decided and returns it. */
    CallResult run() {
        broker.start(this::runFunction);
        return answer.join();
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private void runFunction() {
        hooks.beforeMemoization();
        if (memoRemaining == 0) {
            endMemoization();
        }
        try {
            rootResult = Results.ofFunction(codec, input.functionId(), ((FunctionHandler) function.handler()).handle(input, this));
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Exception e) {
            throw new WrappedCheckedException(e);
        }
    }

    // ---- Broker.Listener: runs on the baton holder's thread --------------------------------------

    @Override
    public void branchFinished(Branch branch, Throwable failure) {
        if (branch.parent() == null) {
            rootDone = true;
            rootFailure = failure instanceof WrappedCheckedException w ? w.getCause() : failure;
        }
    }

    @Override
    public void quiescent() {
        endFunctionExecution();
        if (target != null) {
            answerTargeted();
            return;
        }
        if (memoRemaining > 0 && probe == null && !broker.abandonedAny()) { // a replay check reports drift itself
            noteDrift();
        }
        if (rootDone) {
            if (!memoizationDone) {
                // The function returned before it used all memoized state: no new code ran.
                memoizationDone = true;
                hooks.afterMemoization();
            }
            decide(null, functionResult());
            return;
        }
        List<Branch> parked = broker.parked();
        if (parked.size() > 1 && immediateAllowed && checkpoints != null && startFanOut(parked)) {
            return;
        }
        if (parked.size() == 1 && immediateAllowed && (checkpoints == null || checkpoints.withinRuntime())) {
            Branch only = parked.get(0);
            PendingStep step = (PendingStep) Broker.opOf(only);
            if (step.kind().executes() && !step.race() && !only.abandoned()) {
                broker.execute(only);
                return;
            }
        }
        var ops = new ArrayList<Op>(parked.size());
        for (Branch b : parked) {
            ops.add(((PendingStep) Broker.opOf(b)).reported());
        }
        decide(null, settled(Answers.ops(ops, null)));
    }

    /**
     * A targeted call, once every branch finished or parked: as the JS SDK, a function that ended without
     * the targeted step (a race it lost was decided, or a fail-fast sibling failed for good) answers its
     * result and the step is not run; otherwise the found step runs now; a step never reached is
     * {@code StepNotFound}.
     */
    private void answerTargeted() {
        if (rootDone) {
            if (!memoizationDone) {
                memoizationDone = true;
                hooks.afterMemoization();
            }
            decide(null, functionResult());
        } else if (targetBranch != null && broker.parked().contains(targetBranch)) {
            broker.execute(targetBranch);
        } else {
            decide(null, Answers.ops(List.of(new Op.StepNotFound(target)), null));
        }
    }

    /** The code stopped with memoized state unused: it no longer fits the run (see {@link Drift}). */
    private void noteDrift() {
        String reachedNew = null;
        List<Branch> parked = broker.parked();
        if (!parked.isEmpty() && Broker.opOf(parked.get(0)) instanceof PendingStep p) {
            reachedNew = p.info().id();
        }
        Drift.unusedState(input, steps, repeats, stack, reachedNew, rootFailure == null ? "completed" : "failed");
    }

    /**
     * Several branches wait on steps this request may execute: their bodies run side by side now (see
     * {@link dev.loomstep.Checkpointing#parallelSteps()}). Steps in a race, and the other kinds of op, wait
     * for the answer. False when there is nothing to run this way.
     */
    private boolean startFanOut(List<Branch> parked) {
        int parallelSteps = checkpoints.parallelSteps();
        if (parallelSteps == 0) {
            return false;
        }
        var branches = new ArrayList<Branch>();
        var pending = new ArrayList<PendingStep>();
        for (Branch b : parked) {
            PendingStep step = (PendingStep) Broker.opOf(b);
            if (step.kind().executes() && !step.race() && !b.abandoned()) {
                branches.add(b);
                pending.add(step);
            }
        }
        if (branches.isEmpty()) {
            return false;
        }
        fanOut = new FanOut(branches, pending, parallelSteps);
        checkpoints.openFanOut();
        broker.executeTogether(branches);
        return true;
    }

    /**
     * A branch's part of a fan-out: runs its step's body beside the others', hands a success to the
     * checkpoints, and returns the memo the step goes on with once every branch of the round ended and
     * its turn came. The last body to end decides for all (see {@link #endFanOut}).
     */
    private JsonNode executeTogether(Branch self, PendingStep pending) {
        FanOut round = fanOut;
        FanOut.Slot slot = round.slotOf(self);
        round.enter();
        try {
            slot.out = runBody(pending, round.hooks);
        } finally {
            round.leave();
        }
        JsonNode data = null;
        if (slot.out.error == null) {
            var ran = Answers.stepRun(pending, slot.out.result);
            data = ran.data();
            checkpoints.offerFromBranch(ran, slot.out.metadata);
        }
        if (round.ended()) {
            endFanOut(self, round);
        }
        broker.awaitTurn(self);
        return Json.nodes().objectNode().set("data", data);
    }

    /**
     * Every body of the round ended; the calling thread holds the baton. When all succeeded and the
     * checkpoints are healthy the branches go on in their fixed order; otherwise the request answers the
     * first failed step (in branch order) as the classic protocol does, once the others' results are
     * acknowledged: the executor retries it, and the branches whose steps also failed run them again then.
     */
    private void endFanOut(Branch self, FanOut round) {
        fanOut = null;
        boolean healthy = checkpoints.closeFanOut();
        FanOut.Slot failed = round.firstFailed();
        if (failed != null || !healthy) {
            CallResult classic = failed != null ? Answers.executed(failed.step, failed.out, lastAttempt()) : Answers.ops(List.of(), null);
            decide(self, settled(classic));
            throw Abort.INSTANCE;
        }
        functionExecuting = true;
        hooks.beforeExecution(null);
        broker.resumeTogether(round.branches());
    }

    /** The answer once every checkpoint it relies on is acknowledged (or what replaces it when one failed). */
    private CallResult settled(CallResult classic) {
        return checkpoints == null ? classic : checkpoints.settle(classic);
    }

    private void decide(Branch self, CallResult result) {
        broker.decide(self);
        hooks.beforeResponse();
        answer.complete(lazy.attachTo(result));
    }

    // ---- the step tools ----------------------------------------------------------------------------

    @Override
    public <T> T run(String id, Class<T> type, Callable<? extends T> body) {
        return runStep(id, codec.type(type), body);
    }

    @Override
    public <T> T run(String id, TypeReference<T> type, Callable<? extends T> body) {
        return runStep(id, codec.type(type), body);
    }

    @Override
    public void run(String id, ThrowingRunnable body) {
        runStep(id, JSON_NODE, () -> {
            body.run();
            return null;
        });
    }

    private <T> T runStep(String id, JavaType type, Callable<? extends T> body) {
        requireNonNull(body, "a step body");
        JsonNode memo = step(id, Kind.RUN, null, () -> {
            Results.checkDeclared(codec, id, type); // before the side effect, not after it
            return Results.ofStep(codec, id, type, body.call());
        });
        JsonNode data = memoizedData(id, memo);
        try {
            return codec.read(data, type, "the memoized result of step \"" + id + "\"");
        } catch (IllegalStateException unfit) {
            if (probe != null) {
                probe.unreadable(id, type.toCanonical(), unfit);
            }
            throw unfit;
        }
    }

    @Override
    public void sleep(String id, Duration duration) {
        requireNonNull(duration, "a sleep duration");
        step(id, Kind.SLEEP, hashed -> new Op.Sleep(hashed, id, Waits.wire(duration)), null);
    }

    @Override
    public void sleepUntil(String id, Instant until) {
        requireNonNull(until, "a sleepUntil instant");
        step(id, Kind.SLEEP, hashed -> new Op.Sleep(hashed, id, RFC3339_MILLIS.format(until)), null);
    }

    @Override
    public <T> Optional<T> waitForEvent(String id, Class<T> type, WaitForEvent options) {
        return waitForEvent(id, options).map(e -> codec.read(e.data(), codec.type(type),
                "the data of event \"" + e.name() + "\" received by waitForEvent \"" + id + "\""));
    }

    @Override
    public Optional<Event> waitForEvent(String id, WaitForEvent options) {
        requireNonNull(options, "waitForEvent options");
        String condition = options.ifExpression() != null ? options.ifExpression()
                : options.match() != null ? "event." + options.match() + " == async." + options.match() : null;
        JsonNode memo = step(id, Kind.WAIT_FOR_EVENT, hashed -> new Op.WaitForEvent(hashed, id, options.event(),
                Waits.wire(options.timeout()), condition, null), null);
        return Optional.ofNullable(Memo.event(memo));
    }

    @Override
    public <T> T invoke(String id, Class<T> type, Invoke options) {
        requireNonNull(options, "invoke options");
        JsonNode memo = step(id, Kind.INVOKE, hashed -> {
            ObjectNode payload = Json.nodes().objectNode();
            payload.set("data", options.data() == null ? Json.nodes().objectNode() : codec.toTree(options.data()));
            if (options.user() != null) {
                payload.set("user", codec.toTree(options.user()));
            }
            String timeout = options.timeout() == null ? null : Waits.wire(options.timeout());
            if (!hooks.isEmpty()) {
                hooks.transformInvokePayload(new StepInfo(id, hashed, Kind.INVOKE.label), payload);
            }
            return new Op.InvokeFunction(hashed, id, options.functionId(app), payload, timeout);
        }, null);
        return codec.read(memoizedData(id, memo), codec.type(type), "the result of invoke \"" + id + "\"");
    }

    @Override
    public List<String> sendEvent(String id, Event... events) {
        return sendEvent(id, Arrays.asList(events));
    }

    @Override
    public List<String> sendEvent(String id, List<Event> events) {
        requireNonNull(events, "the events to send");
        JsonNode memo = step(id, Kind.SEND_EVENT, null, () -> {
            List<String> ids = Sending.send(app.eventSender(), new ArrayList<>(events), middleware);
            ObjectNode out = Json.nodes().objectNode();
            out.set("ids", Json.toTree(ids));
            return out;
        }, SEND_EVENT_OPTS);
        JsonNode data = memoizedData(id, memo);
        JsonNode ids = data == null ? null : data.get("ids");
        var out = new ArrayList<String>();
        if (ids != null) {
            ids.forEach(n -> out.add(n.asText()));
        }
        return out;
    }

    @Override
    public <T> Optional<T> waitForSignal(String id, Class<T> type, WaitForSignal options) {
        requireNonNull(options, "waitForSignal options");
        requireNonNull(type, "the signal data's type");
        JsonNode memo = step(id, Kind.WAIT_FOR_SIGNAL, hashed -> new Op.WaitForSignal(hashed, id, options.signal(),
                Waits.wire(options.timeout()), options.replace() ? "replace" : null), null);
        JsonNode received = Memo.signal(memo);
        return received == null ? Optional.empty() : Optional.ofNullable(codec.read(received, codec.type(type),
                "the data of signal \"" + options.signal() + "\" received by waitForSignal \"" + id + "\""));
    }

    @Override
    public Optional<String> sendSignal(String id, String signal, Object data) {
        if (signal == null || signal.isBlank()) {
            throw new IllegalArgumentException("the signal to send must not be blank");
        }
        ObjectNode opts = Json.nodes().objectNode().put("type", "step.sendSignal").put("signal", signal);
        JsonNode memo = step(id, Kind.SEND_SIGNAL, null, () -> {
            Optional<String> runId = app.eventSender().sendSignal(signal, data == null ? null : codec.toTree(data));
            ObjectNode out = Json.nodes().objectNode();
            runId.ifPresent(r -> out.put("runId", r));
            return out;
        }, opts);
        JsonNode runId = memoizedData(id, memo).get("runId");
        return runId == null || runId.isNull() ? Optional.empty() : Optional.of(runId.asText());
    }

    /** The id of the run this call executes. */
    public String runId() {
        return input.runId();
    }

    @Override
    public void publish(String id, String channel, String topic, Object data) {
        dev.loomstep.internal.Realtime.check(channel, topic);
        JsonNode tree = codec.toTree(data);
        step(id, Kind.REALTIME_PUBLISH, null, () -> {
            app.eventSender().publish(channel, topic, input.runId(), tree);
            return tree;
        }, REALTIME_PUBLISH_OPTS);
    }

    @Override
    public <T> List<T> parallel(List<? extends Callable<? extends T>> branches) {
        return forks.parallel(currentBranch(), branches);
    }

    @Override
    public <T> List<Settled<T>> parallelSettled(List<? extends Callable<? extends T>> branches) {
        return forks.parallelSettled(currentBranch(), branches);
    }

    @Override
    public <T> T race(List<? extends Callable<? extends T>> branches) {
        return forks.race(currentBranch(), branches);
    }

    @Override
    public FetchResponse fetch(FetchRequest request) {
        requireNonNull(request, "a fetch request");
        return fetch("step.fetch: " + request.host(), request);
    }

    @Override
    public FetchResponse fetch(String id, FetchRequest request) {
        requireNonNull(request, "a fetch request");
        JsonNode memo = step(id, Kind.FETCH, hashed -> GatewayOps.fetch(hashed, id, request), null);
        return GatewayOps.response(id, memoizedData(id, memo));
    }

    @Override
    public Deferred defer(String id, Defer options) {
        Branch self = currentBranch();
        if (broker.decided() || self.abandoned()) {
            throw Abort.INSTANCE;
        }
        return defers.defer(id, options);
    }

    @Override
    public dev.loomstep.metadata.StepMetadata metadata(String id) {
        return (values, kind) -> {
            if (kind == null || kind.isBlank()) {
                throw new IllegalArgumentException("a metadata kind must not be blank; use set(values) for \"default\"");
            }
            JsonNode v = values == null ? null : codec.toTree(values);
            if (v == null || !v.isObject()) {
                throw new IllegalArgumentException("metadata values are a JSON object (a map or a record); got "
                        + (v == null ? "null" : v.getNodeType().name().toLowerCase()));
            }
            run(id, () -> ExecutingStep.current().add("userland." + kind, "run", "set", v));
        };
    }

    @Override
    public Ai ai() {
        return ai;
    }

    Codec codec() {
        return codec;
    }

    // ---- the core: memoized, or reported, or executed ---------------------------------------------

    interface OpFactory {
        Op create(String hashedId);
    }

    /**
     * Returns the memoized state of the step, or parks the branch on it. A run-kind step executed in
     * this request never returns: its result is the answer.
     */
    private JsonNode step(String id, Kind kind, OpFactory opFactory, Callable<?> body) {
        return step(id, kind, opFactory, body, null);
    }

    /** As {@link #step(String, Kind, OpFactory, Callable)}, with the {@code opts} a run kind's op carries. */
    JsonNode step(String id, Kind kind, OpFactory opFactory, Callable<?> body, JsonNode runOpts) {
        if (id == null || id.isEmpty()) {
            throw new IllegalArgumentException("a step id must not be empty");
        }
        Branch self = currentBranch();
        if (broker.decided() || self.abandoned()) {
            throw Abort.INSTANCE;
        }
        int repeat = repeats.merge(id, 1, Integer::sum) - 1;
        String hashed = StepIds.hash(id, repeat);
        JsonNode memo = steps.get(hashed);
        boolean memoized = memo != null || steps.containsKey(hashed);
        if (probe != null) {
            probe.reached(id, hashed, kind.label, memoized, lineage(self));
        }
        if (memoized) {
            if (self.inRace()) {
                self.settledAt(stackPosition(hashed));
            }
            if (--memoRemaining == 0 && !memoizationDone) {
                endMemoization();
            }
            return memo;
        }
        if (!memoizationDone) {
            endMemoization();
        }
        var info = new StepInfo(id, hashed, kind.label);
        var pending = PendingStep.of(info, kind, opFactory == null ? null : opFactory.create(hashed), body, runOpts, self.inRace());
        if (target != null) {
            if (hashed.equals(target) && kind.executes() && targetBranch == null) {
                // Not run yet: the other branches go first, so a function they end never runs it.
                targetBranch = self;
                if (broker.park(self, pending) == Branch.Signal.EXECUTE) {
                    decide(self, execute(pending));
                }
                throw Abort.INSTANCE;
            }
            broker.park(self, null);
            throw Abort.INSTANCE;
        }
        Branch.Signal signal = broker.park(self, pending);
        if (signal == Branch.Signal.EXECUTE_TOGETHER) {
            return executeTogether(self, pending);
        }
        if (signal == Branch.Signal.EXECUTE) {
            Output out = runBody(pending, null);
            if (checkpoints != null && out.error == null) {
                var ran = Answers.stepRun(pending, out.result);
                if (checkpoints.continueAfter(ran, out.timing(), out.metadata)) {
                    // Executed in place and recorded: the function's own code goes on in this request.
                    functionExecuting = true;
                    hooks.beforeExecution(null);
                    return Json.nodes().objectNode().set("data", ran.data());
                }
            }
            decide(self, settled(Answers.executed(pending, out, lastAttempt())));
        }
        throw Abort.INSTANCE;
    }

    /**
     * Memoized state is used up (or a step was not found in it): the function's own code runs new from
     * here on this thread, so middleware is told with {@code beforeExecution(null)}.
     */
    private void endMemoization() {
        memoizationDone = true;
        hooks.afterMemoization();
        functionExecuting = true;
        hooks.beforeExecution(null);
    }

    /** Every branch finished or parked: the function's new code has stopped for this request. */
    private void endFunctionExecution() {
        if (functionExecuting) {
            functionExecuting = false;
            hooks.afterExecution(null);
        }
    }

    /** Runs a step body in this request and turns its outcome into the answer. */
    private CallResult execute(PendingStep step) {
        return Answers.executed(step, runBody(step, null), lastAttempt());
    }

    /**
     * Runs a step body in this request, with the execution and output hooks; {@code hookLock}, when given,
     * keeps bodies running side by side from calling the hooks at the same time.
     */
    private Output runBody(PendingStep step, ReentrantLock hookLock) {
        StepInfo info = step.info();
        Callable<?> body = step.body();
        JsonNode data = null;
        Throwable error = null;
        ReentrantLock lock = hooks.isEmpty() ? null : hookLock;
        // A middleware hook that throws is the step's error (its body then does not run, or its result is
        // dropped): the request answers it like any step error instead of leaving the call unanswered.
        error = hookFailure(lock, () -> hooks.beforeExecution(info));
        long started = System.currentTimeMillis();
        long ended;
        var executing = new ExecutingStep(input.runId(), info.hashedId(), input.attempt());
        try {
            if (error == null) {
                data = codec.write(executing.run(body));
            }
        } catch (Abort a) {
            throw a;
        } catch (Throwable t) {
            error = t;
        } finally {
            ended = System.currentTimeMillis();
            Throwable after = hookFailure(lock, () -> hooks.afterExecution(info));
            if (error == null && after != null) {
                error = after;
                data = null;
            }
        }
        var out = new Output(info, data, error);
        out.metadata = executing.metadata();
        out.startedAtMillis = started;
        out.endedAtMillis = ended;
        if (!hooks.isEmpty()) {
            Throwable transform = hookFailure(lock, () -> hooks.transformOutput(out));
            if (transform != null) {
                out.result = null;
                out.error = transform;
            }
        }
        if (out.error != null) {
            boolean fatal = Answers.isFinal(out.error, lastAttempt());
            RunLog.stepThrew(input, info, out.error, fatal, maxAttempts);
            observed.stepEnded(info, input.attempt(), fatal ? CallObserver.Verdict.FAILED : CallObserver.Verdict.RETRY);
        } else {
            observed.stepEnded(info, input.attempt(), CallObserver.Verdict.SUCCEEDED);
        }
        return out;
    }

    /** Calls the hooks (see {@link #callHooks}); what one of them threw, or null. */
    private static Throwable hookFailure(ReentrantLock lock, Runnable call) {
        try {
            callHooks(lock, call);
            return null;
        } catch (Abort a) {
            throw a;
        } catch (RuntimeException | Error e) {
            return e;
        }
    }

    private static void callHooks(ReentrantLock lock, Runnable call) {
        if (lock == null) {
            call.run();
            return;
        }
        lock.lock();
        try {
            call.run();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Whether this attempt is the last the executor will make. Like the JS SDK, only the executor's
     * {@code ctx.max_attempts} says so; without it every error is left to the executor to retry.
     */
    private boolean lastAttempt() {
        return maxAttempts != null && input.attempt() + 1 >= maxAttempts;
    }

    JsonNode memoizedData(String id, JsonNode memo) {
        WireError error = Memo.error(memo);
        if (error != null) {
            throw new StepFailedException(id, error);
        }
        JsonNode data = Memo.data(memo);
        return hooks.isEmpty() ? data : hooks.transformStepResult(id, data);
    }

    private CallResult functionResult() {
        JsonNode data = null;
        Throwable error = rootFailure;
        if (error == null) {
            data = codec.write(rootResult);
        }
        if (!hooks.isEmpty()) {
            var out = new Output(null, data, error);
            try {
                hooks.transformOutput(out);
                data = out.result;
                error = out.error;
            } catch (RuntimeException e) {
                // As for a step's hooks: the middleware's failure is the function's error, answered as one.
                data = null;
                error = e;
            }
        }
        if (error == null) {
            observed.functionEnded(CallObserver.Verdict.SUCCEEDED);
            return RunLog.functionEnded(input, null, checkpoints != null ? checkpoints.complete(data)
                    : new CallResult(200, Json.toBytes(data == null ? Json.nodes().nullNode() : data), false, null), maxAttempts);
        }
        CallResult failed = Errors.functionError(error, lastAttempt());
        observed.functionEnded(failed.noRetry() ? CallObserver.Verdict.FAILED : CallObserver.Verdict.RETRY);
        return settled(RunLog.functionEnded(input, error, failed, maxAttempts));
    }

    /**
     * Where a memoized step sits in the executor's completion order; a step missing from the stack (an
     * executor that sends none) counts as settled after every listed one, ties going to the first branch.
     */
    private int stackPosition(String hashed) {
        if (stackPositions == null) {
            stackPositions = new HashMap<>(stack.size() * 2);
            for (int i = 0; i < stack.size(); i++) {
                stackPositions.putIfAbsent(stack.get(i), i);
            }
        }
        return stackPositions.getOrDefault(hashed, stack.size());
    }

    /** Root first; each branch below it preceded by its fork (see {@link ReplayProbe#reached}). */
    private static List<Object> lineage(Branch b) {
        var out = new ArrayList<Object>();
        for (Branch x = b; x != null; x = x.parent()) {
            out.add(0, x);
            if (x.fork() != null) {
                out.add(0, x.fork());
            }
        }
        return out;
    }

    private Branch currentBranch() {
        Branch b = Branch.current();
        if (b == null || b.broker() != broker) {
            throw new IllegalStateException("step tools must be called from the function's own thread or a step.parallel branch, not from "
                    + Thread.currentThread());
        }
        return b;
    }

    private static void requireNonNull(Object value, String what) {
        if (value == null) {
            throw new IllegalArgumentException(what + " must not be null");
        }
    }

    /** Carries a checked exception from the handler through the branch's Runnable. */
    static final class WrappedCheckedException extends RuntimeException {
        WrappedCheckedException(Exception cause) {
            super(cause);
        }
    }
}
