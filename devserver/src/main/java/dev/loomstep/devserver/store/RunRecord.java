package dev.loomstep.devserver.store;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Event;
import dev.loomstep.protocol.WireError;
import java.util.List;

/**
 * One function run.
 *
 * @param eventId          the first triggering event's id
 * @param requestVersion   the execution version the SDK last answered in {@code X-Inngest-Req-Version};
 *                         -1 until it has said (the SDK decides)
 * @param invoker          {@code "{parentRunId}.{stepId}"} when started by {@code step.invoke}
 */
public record RunRecord(
        String id,
        String functionId,
        String eventId,
        List<Event> events,
        RunStatus status,
        JsonNode output,
        WireError error,
        long createdAt,
        Long startedAt,
        Long endedAt,
        boolean disableImmediate,
        int requestVersion,
        String invoker) {

    public Event event() {
        return events.isEmpty() ? null : events.get(0);
    }
}
