package dev.loomstep.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.loomstep.Event;
import dev.loomstep.Function;
import dev.loomstep.Loomstep;
import dev.loomstep.internal.run.Codec;
import dev.loomstep.internal.run.ReplayProbe;
import dev.loomstep.internal.run.Runs;
import dev.loomstep.internal.run.Sending;
import dev.loomstep.middleware.Middleware;
import dev.loomstep.protocol.CallRequest;
import dev.loomstep.protocol.CallResult;
import dev.loomstep.protocol.CheckpointApi;
import dev.loomstep.protocol.Json;
import dev.loomstep.protocol.RawRequest;
import dev.loomstep.protocol.WireError;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** Runs call requests for one app. */
public final class Engine {
    private final Loomstep app;
    private final Codec codec;
    /** The app's {@link CallObserver}s among its client-level middleware, as one; null when there is none. */
    private final CallObserver observer;

    /** {@code mapper} (de)serialises user values; null: Loomstep's own ({@link Json#mapper()}). */
    public Engine(Loomstep app, ObjectMapper mapper) {
        this.app = app;
        this.codec = Codec.of(mapper);
        this.observer = observerOf(app.middleware());
    }

    private static CallObserver observerOf(List<Middleware> middleware) {
        List<CallObserver> all = middleware.stream().filter(CallObserver.class::isInstance).map(CallObserver.class::cast).toList();
        if (all.size() < 2) {
            return all.isEmpty() ? null : all.get(0);
        }
        return (appId, fnId, first) -> new ObservedCalls(all.stream().map(o -> o.callStarted(appId, fnId, first)).toList());
    }

    /** The mapper user values go through. */
    public ObjectMapper mapper() {
        return codec.mapper();
    }

    public CallResult call(String fnId, String stepId, CallRequest request, RawRequest raw, CheckpointApi checkpoints) {
        Function<?, ?> fn = fnId == null ? null : app.functionsById().get(fnId);
        if (fn == null) {
            String message = fnId == null || fnId.isBlank()
                    ? "the call names no function: add the fnId query parameter"
                    : "app \"" + app.appId() + "\" has no function \"" + fnId + "\"; it has " + app.functionsById().keySet();
            // Like the JS SDK: 500 without a No-Retry verdict, since a re-sync may bring the function.
            return new CallResult(500, Json.toBytes(WireError.of("FunctionNotFound", message)), false, null, false);
        }
        if (observer == null) {
            return Runs.call(app, codec, fn, fnId, stepId, request, raw, checkpoints, CallObserver.Call.NONE);
        }
        boolean discovering = stepId == null || stepId.isEmpty() || stepId.equals("step");
        CallObserver.Call call = observer.callStarted(app.appId(), fn.id(), discovering && request.ctx().attempt() == 0 && request.steps().isEmpty());
        try {
            return Runs.call(app, codec, fn, fnId, stepId, request, raw, checkpoints == null ? null : timed(checkpoints, call), call);
        } finally {
            call.callEnded();
        }
    }

    /**
     * Runs a call of {@code fn}, which need not be among the app's functions (a durable endpoint's handler,
     * which no executor syncs), under the id {@code fnId}.
     */
    public CallResult callUnlisted(Function<?, ?> fn, String fnId, String stepId, CallRequest request, RawRequest raw,
                                   CheckpointApi checkpoints) {
        return Runs.call(app, codec, fn, fnId, stepId, request, raw, checkpoints, CallObserver.Call.NONE);
    }

    private static CheckpointApi timed(CheckpointApi api, CallObserver.Call call) {
        return checkpoint -> {
            long started = System.nanoTime();
            boolean acknowledged = false;
            try {
                api.send(checkpoint);
                acknowledged = true;
            } finally {
                call.checkpointed(Duration.ofNanos(System.nanoTime() - started), acknowledged);
            }
        };
    }

    /**
     * Replays a recorded run's state against function {@code fnId} without running any step body,
     * telling {@code probe} each step the code reaches (the test kit's replay check).
     */
    public CallResult replay(String fnId, CallRequest request, ReplayProbe probe) {
        Function<?, ?> fn = app.functionsById().get(fnId);
        if (fn == null) {
            throw new IllegalArgumentException("app \"" + app.appId() + "\" has no function \"" + fnId + "\"; it has "
                    + app.functionsById().keySet());
        }
        return Runs.replay(app, codec, fn, fnId, request, probe);
    }

    /** Sends a signal with {@code data} written by the app's mapper; see {@link Loomstep#sendSignal}. */
    public Optional<String> sendSignal(String signal, Object data) {
        if (signal == null || signal.isBlank()) {
            throw new IllegalArgumentException("the signal to send must not be blank");
        }
        try {
            return app.eventSender().sendSignal(signal, data == null ? null : codec.mapper().valueToTree(data));
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("sending signal \"" + signal + "\" failed: " + e.getMessage(), e);
        }
    }

    /** Publishes {@code data} written by the app's mapper; see {@link Loomstep#publish}. */
    public void publish(String channel, String topic, Object data) {
        Realtime.check(channel, topic);
        try {
            app.eventSender().publish(channel, topic, currentRunId(), codec.mapper().valueToTree(data));
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("publishing to channel \"" + channel + "\" topic \"" + topic + "\" failed: "
                    + e.getMessage(), e);
        }
    }

    /** The run whose function or step body calls, as JS's client publish names it; null outside a run. */
    private static String currentRunId() {
        var branch = dev.loomstep.internal.broker.Branch.current();
        return branch != null && branch.broker().listener() instanceof dev.loomstep.internal.run.RunExecution run ? run.runId() : null;
    }

    /** A subscription token; see {@link Loomstep#subscriptionToken}. */
    public String subscriptionToken(String channel, java.util.List<String> topics) {
        Realtime.check(channel, topics);
        try {
            return app.eventSender().subscriptionToken(channel, java.util.List.copyOf(topics));
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("creating a realtime token for channel \"" + channel + "\" failed: " + e.getMessage(), e);
        }
    }

    public List<String> send(List<Event> events, List<Middleware> middleware) {
        return Sending.send(app.eventSender(), events, middleware);
    }
}
