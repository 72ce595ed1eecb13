package dev.loomstep.internal.run;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Defer;
import dev.loomstep.Deferred;
import dev.loomstep.Loomstep;
import dev.loomstep.protocol.CallRequest;
import dev.loomstep.protocol.Json;
import dev.loomstep.protocol.Op;
import dev.loomstep.protocol.StepIds;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code step.defer} of one call request: turns each call into a {@code DeferAdd} (and {@link Deferred#abort}
 * into a {@code DeferAbort}) that waits in {@link LazyOps} for the request's next message, as the JS SDK 4.24
 * does. A defer is identified by the SHA-1 of its id alone: unlike steps, a repeated id is not a new defer.
 */
final class Defers {
    private static final Logger log = LoggerFactory.getLogger(Defers.class);

    private final Loomstep app;
    private final Codec codec;
    private final LazyOps lazy;
    private final String runId;

    Defers(Loomstep app, Codec codec, LazyOps lazy, String runId) {
        this.app = app;
        this.codec = codec;
        this.lazy = lazy;
        this.runId = runId;
    }

    Deferred defer(String id, Defer options) {
        if (id == null || id.isEmpty()) {
            throw new IllegalArgumentException("a defer id must not be empty");
        }
        if (options == null) {
            throw new IllegalArgumentException("defer options must not be null: pass Defer.function(target).data(…)");
        }
        String slug = options.functionSlug(app);
        JsonNode input = options.data() == null ? Json.nodes().objectNode() : codec.toTree(options.data());
        if (input == null || !input.isObject()) {
            throw new IllegalArgumentException("the data of defer \"" + id + "\" must serialise to a JSON object (a record, a map), got "
                    + (input == null ? "null" : input.getNodeType().name().toLowerCase()));
        }
        String hashed = StepIds.sha1Hex(id);
        if (!lazy.add(new Op.DeferAdd(hashed, id, slug, input, null))) {
            log.warn("run {}: defer \"{}\" skipped: its id was already deferred in this run", runId, id);
        }
        return () -> abort(id, hashed, slug);
    }

    private void abort(String id, String hashed, String slug) {
        CallRequest.DeferEntry prior = lazy.prior(hashed);
        if (prior != null && !prior.abortable()) {
            return; // already scheduled, or already aborted
        }
        lazy.add(new Op.DeferAbort(StepIds.sha1Hex(hashed + ":abort"), id, hashed, slug));
    }
}
