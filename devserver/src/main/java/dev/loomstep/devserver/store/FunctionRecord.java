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
