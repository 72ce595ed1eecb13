package dev.loomstep;

import java.util.List;

/**
 * Sends events to the event API. The HTTP adapter provides one (found through {@link java.util.ServiceLoader}
 * as a {@link Provider}); tests and in-process setups may plug their own with
 * {@link Loomstep.Builder#eventSender}.
 */
@FunctionalInterface
public interface EventSender {
    /** Sends the events and returns their ids, in order. */
    List<String> send(List<Event> events) throws Exception;

    /** Creates the default sender for a client's configuration. */
    interface Provider {
        EventSender create(Config config, String sdkVersionHeader);
    }
}
