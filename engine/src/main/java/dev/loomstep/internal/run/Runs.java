package dev.loomstep.internal.run;

import dev.loomstep.Checkpointing;
import dev.loomstep.Event;
import dev.loomstep.Function;
import dev.loomstep.Loomstep;
import dev.loomstep.internal.CallObserver;
import dev.loomstep.middleware.Middleware;
import dev.loomstep.middleware.RunHooks;
import dev.loomstep.protocol.CallRequest;
import dev.loomstep.protocol.CallResult;
import dev.loomstep.protocol.CheckpointApi;
import dev.loomstep.protocol.RawRequest;
import java.util.ArrayList;
import java.util.List;

/** Starts the execution of one call request: input, middleware, then the broker. */
public final class Runs {
    /** The executor's id of this dispatch and its generation, echoed in checkpoints. */
    private static final String REQUEST_ID = "X-Request-Id";
    private static final String GENERATION_ID = "X-Inngest-Generation-Id";

    private Runs() {}

    /**
     * Runs one call request of {@code app}'s function {@code fn}; user values go through {@code codec}, and
     * {@code observed} hears the verdicts ({@link CallObserver.Call#NONE} for none).
     */
    public static CallResult call(Loomstep app, Codec codec, Function<?, ?> fn, String fnId, String stepId, CallRequest request,
                                  RawRequest raw, CheckpointApi api, CallObserver.Call observed) {
        return call(app, codec, fn, fnId, stepId, request, raw, api, observed, null);
    }

    /**
     * Replays {@code request}'s state against {@code fn} for the test kit's replay check: a discovery call
     * that runs no step body (every new step is reported, as when the executor disables immediate
     * execution) and tells {@code probe} each step the code reaches.
     */
    public static CallResult replay(Loomstep app, Codec codec, Function<?, ?> fn, String fnId, CallRequest request, ReplayProbe probe) {
        if (!request.ctx().disableImmediateExecution()) {
            throw new IllegalArgumentException("a replay must not run step bodies: set ctx.disable_immediate_execution");
        }
        return call(app, codec, fn, fnId, "step", request, null, null, CallObserver.Call.NONE, probe);
    }

    private static CallResult call(Loomstep app, Codec codec, Function<?, ?> fn, String fnId, String stepId, CallRequest request,
                                   RawRequest raw, CheckpointApi api, CallObserver.Call observed, ReplayProbe probe) {
        long startedAtMillis = System.currentTimeMillis();
        long startedAtNanos = System.nanoTime();
        List<Middleware> middleware = fn.middleware().isEmpty() ? app.middleware() : concat(app.middleware(), fn.middleware());
        var ctx = request.ctx();
        List<Event> events = request.events();
        var input = new RunInput<>(fn, fnId, ctx.runId(), ctx.attempt(), raw, events, request.steps(), codec);
        Hooks hooks = Hooks.NONE;
        if (!middleware.isEmpty()) {
            input.makeMutable();
            var all = new ArrayList<RunHooks>(middleware.size());
            for (Middleware m : middleware) {
                all.add(m.onRun(input));
            }
            hooks = new Hooks(all);
            hooks.transformInput(input);
        }
        var lazy = new LazyOps(request.defers());
        Checkpoints checkpoints = null;
        Checkpointing options = fn.options().checkpointing() != null ? fn.options().checkpointing() : app.checkpointing();
        boolean discovering = stepId == null || stepId.isEmpty() || stepId.equals("step");
        if (api != null && options.enabled() && discovering && !ctx.disableImmediateExecution()
                && notBlank(ctx.fnId()) && notBlank(ctx.qiId()) && notBlank(ctx.runId())) {
            checkpoints = new Checkpoints(api, options, ctx.runId(), ctx.fnId(), ctx.qiId(),
                    raw == null ? null : raw.header(REQUEST_ID), raw == null ? null : generationId(raw.header(GENERATION_ID)),
                    ctx.attempt(), startedAtMillis, startedAtNanos, lazy);
        }
        return new RunExecution(app, codec, fn, input, hooks, middleware, stepId, ctx.disableImmediateExecution(), ctx.maxAttempts(),
                checkpoints, ctx.stack().stack(), observed, probe, lazy).run();
    }

    private static boolean notBlank(String s) {
        return s != null && !s.isBlank();
    }

    /** Like JS: an integer header value, else none. */
    private static Integer generationId(String header) {
        if (header == null || header.isBlank()) {
            return null;
        }
        try {
            return Integer.valueOf(header.trim());
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static List<Middleware> concat(List<Middleware> a, List<Middleware> b) {
        var out = new ArrayList<Middleware>(a.size() + b.size());
        out.addAll(a);
        out.addAll(b);
        return out;
    }
}
