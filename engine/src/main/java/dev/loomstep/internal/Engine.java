package dev.loomstep.internal;

import dev.loomstep.Event;
import dev.loomstep.Loomstep;
import dev.loomstep.middleware.Middleware;
import dev.loomstep.protocol.CallRequest;
import dev.loomstep.protocol.CallResult;
import dev.loomstep.protocol.RawRequest;
import java.util.List;

/** Runs call requests for one app. */
public final class Engine {
    private final Loomstep app;

    public Engine(Loomstep app) {
        this.app = app;
    }

    public CallResult call(String fnId, String stepId, CallRequest request, RawRequest raw) {
        throw new UnsupportedOperationException("engine under construction");
    }

    public List<String> send(List<Event> events, List<Middleware> middleware) {
        throw new UnsupportedOperationException("engine under construction");
    }
}
