package dev.loomstep.devserver.store;

import dev.loomstep.protocol.SyncRequest.FunctionConfig;

/** A synced function: composite id, owning app, and the configuration the SDK registered. */
public record FunctionRecord(String id, String appId, FunctionConfig config, long updatedAt) {
    /** The display name, or the id when the SDK sent none. */
    public String name() {
        return config.name() == null || config.name().isBlank() ? id : config.name();
    }

    /** The function's entry URL ({@code steps.step.runtime.url}), or null when the config has none. */
    public String url() {
        if (config.steps() == null) {
            return null;
        }
        var step = config.steps().get("step");
        if (step == null && !config.steps().isEmpty()) {
            step = config.steps().values().iterator().next();
        }
        return step == null || step.runtime() == null ? null : step.runtime().url();
    }

    /**
     * The same function served under another app URL: each step's runtime URL that starts with {@code oldBase}
     * starts with {@code newBase} instead (its query, {@code ?fnId=...&step=step}, is kept).
     */
    public FunctionRecord movedTo(String oldBase, String newBase) {
        var tree = (com.fasterxml.jackson.databind.node.ObjectNode) dev.loomstep.protocol.Json.toTree(config);
        tree.path("steps").forEach(step -> {
            var runtime = step.path("runtime");
            String url = runtime.path("url").asText(null);
            if (url != null && runtime instanceof com.fasterxml.jackson.databind.node.ObjectNode r) {
                String rest = url.startsWith(oldBase) ? url.substring(oldBase.length())
                        : url.indexOf('?') >= 0 ? url.substring(url.indexOf('?')) : "";
                r.put("url", newBase + rest);
            }
        });
        try {
            return new FunctionRecord(id, appId, dev.loomstep.protocol.Json.mapper().treeToValue(tree, FunctionConfig.class), updatedAt);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("function " + id + ": its config does not read back: " + e.getOriginalMessage(), e);
        }
    }

    /** Total attempts per step and per call: retries + 1; Inngest's default is 3 retries. */
    public int maxAttempts() {
        if (config.steps() != null) {
            for (var step : config.steps().values()) {
                if (step.retries() != null) {
                    return Math.max(0, step.retries().attempts()) + 1;
                }
            }
        }
        return 4;
    }
}
