package dev.loomstep.internal.run;

import dev.loomstep.Event;
import dev.loomstep.EventSender;
import dev.loomstep.middleware.Middleware;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Sends events through the middleware's send hooks. */
public final class Sending {
    private Sending() {}

    public static List<String> send(EventSender sender, List<Event> events, List<Middleware> middleware) {
        Map<String, String> headers = middleware.isEmpty() ? Map.of() : new LinkedHashMap<>();
        for (Middleware m : middleware) {
            m.beforeSendEvents(events, headers);
        }
        List<String> ids = List.of();
        Throwable error = null;
        try {
            ids = headers.isEmpty() ? sender.send(events) : sender.send(events, Map.copyOf(headers));
            return ids;
        } catch (RuntimeException e) {
            error = e;
            throw e;
        } catch (Exception e) {
            error = new IllegalStateException("sending " + events.size() + " event(s) failed: " + e.getMessage(), e);
            throw (IllegalStateException) error;
        } catch (Error e) {
            error = e;
            throw e;
        } finally {
            for (Middleware m : middleware) {
                m.afterSendEvents(events, ids == null ? List.of() : ids, error);
            }
        }
    }
}
