package dev.loomstep.devserver.executor;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.devserver.store.MetadataChecks;
import dev.loomstep.devserver.store.Store;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The metadata an SDK puts on a step's op ({@code metadata: [{kind, scope, op, values}]}: the JS SDK batches
 * {@code inngest.metadata…set()} called inside {@code step.run} and {@code step.metadata(id)} there), stored
 * as {@code POST /v1/runs/{runId}/metadata} stores it. Scope {@code run} is the run's; any other is the op's
 * step. As Inngest, an entry it cannot take is skipped with a warning; the step itself is not failed for it.
 */
final class OpMetadata {
    private static final Logger LOG = LoggerFactory.getLogger(OpMetadata.class);

    private OpMetadata() {}

    /** Stores the op's metadata (null or empty: nothing) for the op with hashed id {@code opId}. */
    static void record(Store store, String runId, String opId, JsonNode metadata, long now) {
        if (metadata == null || !metadata.isArray() || metadata.isEmpty()) {
            return;
        }
        List<Store.MetadataUpdate> updates = new ArrayList<>();
        for (int i = 0; i < metadata.size(); i++) {
            JsonNode m = metadata.get(i);
            boolean onRun = "run".equals(m.path("scope").asText());
            try {
                updates.add(MetadataChecks.read(m, "metadata[" + i + "] of op " + opId, onRun ? "" : opId, null, null, null));
            } catch (MetadataChecks.Invalid e) {
                LOG.warn("run {}: skipped metadata the SDK sent on op {}: {}", runId, opId, e.getMessage());
            }
        }
        if (!updates.isEmpty() && !store.applyMetadata(runId, updates, now)) {
            LOG.warn("run {}: skipped the metadata of op {}: the run already holds its limit of metadata", runId, opId);
        }
    }
}
