package dev.loomstep.internal.run;

import dev.loomstep.Event;
import dev.loomstep.Function;
import dev.loomstep.Loomstep;
import dev.loomstep.middleware.Middleware;
import dev.loomstep.middleware.RunHooks;
import dev.loomstep.protocol.CallRequest;
import dev.loomstep.protocol.CallResult;
import dev.loomstep.protocol.RawRequest;
import java.util.ArrayList;
import java.util.List;

/** Starts the execution of one call request: input, middleware, then the broker. */
public final class Runs {
    private Runs() {}

    public static CallResult call(Loomstep app, Function<?, ?> fn, String fnId, String stepId, CallRequest request, RawRequest raw) {
        List<Middleware> middleware = fn.middleware().isEmpty() ? app.middleware() : concat(app.middleware(), fn.middleware());
        var ctx = request.ctx();
        List<Event> events = request.events();
        var input = new RunInput<>(fn, fnId, ctx.runId(), ctx.attempt(), raw, events, request.steps());
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
        return new RunExecution(app, fn, input, hooks, middleware, stepId, ctx.disableImmediateExecution(), ctx.maxAttempts()).run();
    }

    private static List<Middleware> concat(List<Middleware> a, List<Middleware> b) {
        var out = new ArrayList<Middleware>(a.size() + b.size());
        out.addAll(a);
        out.addAll(b);
        return out;
    }
}
