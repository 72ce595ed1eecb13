package dev.loomstep.internal;

import dev.loomstep.Function;
import dev.loomstep.FunctionHandler;
import dev.loomstep.Loomstep;
import dev.loomstep.Trigger;
import dev.loomstep.protocol.SyncRequest;
import dev.loomstep.protocol.SyncRequest.FunctionConfig;
import dev.loomstep.protocol.SyncRequest.Retries;
import dev.loomstep.protocol.SyncRequest.Runtime;
import dev.loomstep.protocol.SyncRequest.StepConfig;
import dev.loomstep.protocol.SyncRequest.TriggerConfig;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Turns an app's functions into the function configuration JSON the executor registers. */
public final class SyncConfigs {
    public static final String FAILURE_SUFFIX = "-failure";
    public static final String FUNCTION_FAILED_EVENT = "inngest/function.failed";

    private SyncConfigs() {}

    public static SyncRequest syncRequest(Loomstep app, String url, String framework, String appVersion) {
        var fns = new ArrayList<FunctionConfig>();
        app.functionsById().forEach((compositeId, fn) -> fns.add(functionConfig(compositeId, fn, url)));
        return new SyncRequest(url, "0.1", "ping", Loomstep.SDK_HEADER, framework, app.appId(), appVersion, fns, null);
    }

    static FunctionConfig functionConfig(String compositeId, Function<?, ?> fn, String url) {
        var triggers = new ArrayList<TriggerConfig>();
        for (Trigger t : fn.triggers()) {
            triggers.add(switch (t) {
                case Trigger.OnEvent e -> new TriggerConfig(e.name(), e.expression(), null);
                case Trigger.OnCron c -> new TriggerConfig(null, null, c.schedule(), c.jitter());
                case Trigger.OnDefer d -> new TriggerConfig(Trigger.DEFERRED_SCHEDULE_EVENT, Trigger.OnDefer.expression(compositeId), null);
            });
        }
        String sep = url.contains("?") ? "&" : "?";
        String stepUrl = url + sep + "fnId=" + URLEncoder.encode(compositeId, StandardCharsets.UTF_8) + "&stepId=step";
        var step = new StepConfig("step", "step", new Runtime("http", stepUrl),
                fn.retries() == null ? null : new Retries(fn.retries()));
        var o = fn.options();
        return new FunctionConfig(compositeId, fn.name(), triggers, Map.of("step", step),
                o.concurrency().isEmpty() ? null : o.concurrency(),
                o.rateLimit(), o.throttle(), o.debounce(), o.batchEvents(),
                o.cancelOn().isEmpty() ? null : o.cancelOn(),
                o.priority(), o.idempotency(), o.timeouts(), o.singleton());
    }

    /** The generated function that runs {@code fn}'s onFailure handler on {@code inngest/function.failed}. */
    public static Function<Function.Failure, Object> failureFunction(String appId, Function<?, ?> fn) {
        @SuppressWarnings("unchecked")
        FunctionHandler<Function.Failure, Object> handler = (FunctionHandler<Function.Failure, Object>) fn.options().onFailure();
        var b = Function.builder(fn.id() + FAILURE_SUFFIX)
                .name(fn.name() + " (failure)")
                .trigger(Trigger.event(FUNCTION_FAILED_EVENT, "event.data.function_id == '" + appId + "-" + fn.id() + "'"));
        if (fn.options().checkpointing() != null) {
            b.checkpointing(fn.options().checkpointing());
        }
        return b.retries(fn.options().onFailureRetries()).handler(Function.Failure.class, handler);
    }

}
