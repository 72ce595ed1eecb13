package dev.loomstep.devserver.store;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * Events flow control holds back from starting a run yet: a debounce waiting for quiet (one event,
 * the latest) or an open batch (its events, oldest first). Saved in the unit of work that accepted the
 * event, and deleted in the unit that starts their run, so a restart neither loses nor repeats them.
 *
 * @param kind       {@link #DEBOUNCE} or {@link #BATCH}
 * @param key        the function-scoped key (the evaluated CEL key)
 * @param functionId the function the run is for
 * @param events     the held events as received, oldest first
 * @param firstAt    when the first of them arrived (epoch ms): with {@code key}, tells one holding from the next
 * @param dueAt      when the run starts at the latest (epoch ms)
 */
public record HeldEvents(String kind, String key, String functionId, List<JsonNode> events, long firstAt, long dueAt) {
    public static final String DEBOUNCE = "debounce";
    public static final String BATCH = "batch";

    public HeldEvents {
        events = List.copyOf(events);
    }
}
