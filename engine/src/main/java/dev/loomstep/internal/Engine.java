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
import java.util.List;
import java.util.Optional;

/** Runs call requests for one app. */
public final class Engine {
    private final Loomstep app;
    private final Codec codec;

    /** {@code mapper} (de)serialises user values; null: Loomstep's own ({@link Json#mapper()}). */
    public Engine(Loomstep app, ObjectMapper mapper) {
        this.app = app;
        this.codec = Codec.of(mapper);
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
        return Runs.call(app, codec, fn, fnId, stepId, request, raw, checkpoints);
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

    public List<String> send(List<Event> events, List<Middleware> middleware) {
        return Sending.send(app.eventSender(), events, middleware);
    }
}
