package dev.loomstep;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Sends events to the event API. The HTTP adapter provides one (found through {@link java.util.ServiceLoader}
 * as a {@link Provider}); tests and in-process setups may plug their own with
 * {@link Loomstep.Builder#eventSender}.
 */
@FunctionalInterface
public interface EventSender {
    /** Sends the events and returns their ids, in order. */
    List<String> send(List<Event> events) throws Exception;

    /**
     * Sends the events with extra HTTP headers on the request that carries them (a W3C {@code traceparent}
     * a tracing middleware put there, say; see {@link dev.loomstep.middleware.Middleware#beforeSendEvents(List, Map)}).
     * The default ignores the headers: senders that do not speak HTTP have nowhere to put them.
     */
    default List<String> send(List<Event> events, Map<String, String> headers) throws Exception {
        return send(events);
    }

    /**
     * Sends a signal ({@code POST /v1/signals} of the Inngest API) and returns the id of the run it resumed,
     * or empty when no run waits for it. Senders that only know the event API refuse.
     *
     * @param data the signal's data as JSON, or null for none
     */
    default Optional<String> sendSignal(String signal, JsonNode data) throws Exception {
        throw new UnsupportedOperationException("this event sender (" + getClass().getName() + ") cannot send signals; "
                + "use loomstep-http's EventClient, or implement EventSender.sendSignal");
    }

    /**
     * Sends a metadata update ({@code POST /v1/runs/{runId}/metadata} of the Inngest API, the body as
     * {@link dev.loomstep.metadata.RunMetadata#request} builds it). Senders that only know the event API refuse.
     */
    default void sendMetadata(String runId, JsonNode body) throws Exception {
        throw new UnsupportedOperationException("this event sender (" + getClass().getName() + ") cannot send metadata; "
                + "use loomstep-http's EventClient, or implement EventSender.sendMetadata");
    }

    /**
     * Publishes {@code data} to a realtime channel's topic ({@code POST /v1/realtime/publish?channel=&topic=[&run_id=]}
     * of the Inngest API). Not durable: one attempt, a failure is thrown. Senders that only know the event API refuse.
     *
     * @param runId the run publishing it, or null from outside a run
     */
    default void publish(String channel, String topic, String runId, JsonNode data) throws Exception {
        throw new UnsupportedOperationException("this event sender (" + getClass().getName() + ") cannot publish realtime messages; "
                + "use loomstep-http's EventClient, or implement EventSender.publish");
    }

    /**
     * A subscription token for {@code topics} of {@code channel} ({@code POST /v1/realtime/token} of the Inngest
     * API): a short-lived JWT that a subscriber, such as a browser, connects with. Senders that only know the
     * event API refuse.
     */
    default String subscriptionToken(String channel, List<String> topics) throws Exception {
        throw new UnsupportedOperationException("this event sender (" + getClass().getName() + ") cannot create realtime tokens; "
                + "use loomstep-http's EventClient, or implement EventSender.subscriptionToken");
    }

    /** Creates the default sender for a client's configuration. */
    interface Provider {
        EventSender create(Config config, String sdkVersionHeader);
    }
}
