package dev.loomstep.devserver.store;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A run deferred by a run ({@code DeferAdd}), to start once that run has finished.
 *
 * @param runId        the run that deferred it
 * @param hashedId     the op's id (SHA-1 of {@code userlandId})
 * @param input        the deferred run's event data (a JSON object); null when rejected before it was read
 * @param status       {@link #AFTER_RUN} (waits for the run's end), {@link #SCHEDULED}, {@link #ABORTED} or {@link #REJECTED}
 * @param reason       why it was rejected, one line; null otherwise
 * @param eventId      the {@code inngest/deferred.schedule} event that started it, once {@link #SCHEDULED}
 */
public record DeferRecord(String runId, String hashedId, String userlandId, String fnSlug, JsonNode input, long size,
                          String status, String reason, String eventId, long createdAt, long updatedAt) {
    public static final String AFTER_RUN = "after_run";
    public static final String SCHEDULED = "scheduled";
    public static final String ABORTED = "aborted";
    public static final String REJECTED = "rejected";

    /** As Inngest: at most this many defers per run. */
    public static final int MAX_PER_RUN = 20;
    /** As Inngest: one defer's data, and all of a run's together, at most 4 MiB. */
    public static final long MAX_INPUT_BYTES = 4L * 1024 * 1024;

    /** Whether a {@code DeferAbort} may still drop it (its run has not been scheduled). */
    public boolean abortable() {
        return AFTER_RUN.equals(status);
    }
}
