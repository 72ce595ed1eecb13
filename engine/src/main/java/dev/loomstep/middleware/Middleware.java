package dev.loomstep.middleware;

import dev.loomstep.Event;
import java.util.List;
import java.util.Map;

/**
 * Hooks into the life of every run and every event send (the spec's middleware, section 6).
 * Registered on the client (runs for every function) or on one function (runs inside the client's).
 * Every method has a no-op default; implement what you need.
 *
 * <pre>{@code
 * class DatabaseMiddleware implements Middleware {
 *     public RunHooks onRun(RunContext run) {
 *         run.inject(Database.class, pool.get());
 *         return RunHooks.NONE;
 *     }
 * }
 * }</pre>
 */
public interface Middleware {

    /** Called at the start of each call request; the returned hooks see the rest of that request. */
    default RunHooks onRun(RunContext run) {
        return RunHooks.NONE;
    }

    /** Called before events are sent (by {@code step.sendEvent} or the client); may change the list. */
    default void beforeSendEvents(List<Event> events) {}

    /**
     * Called before events are sent, with the HTTP headers of the request that will carry them: put a
     * header there to send it along (a tracing middleware puts the W3C {@code traceparent} of the sending
     * code, so the runs the events start join its trace). The default calls {@link #beforeSendEvents(List)}.
     */
    default void beforeSendEvents(List<Event> events, Map<String, String> headers) {
        beforeSendEvents(events);
    }

    /** Called after events were sent successfully, with the ids the event API returned. */
    default void afterSendEvents(List<Event> events, List<String> ids) {}

    /**
     * Called after every send, whether it succeeded or not: {@code ids} as the event API returned them
     * and {@code error} null, or {@code ids} empty and {@code error} what the send threw (the send
     * then fails with it). The default calls {@link #afterSendEvents(List, List)} on success only.
     */
    default void afterSendEvents(List<Event> events, List<String> ids, Throwable error) {
        if (error == null) {
            afterSendEvents(events, ids);
        }
    }
}
