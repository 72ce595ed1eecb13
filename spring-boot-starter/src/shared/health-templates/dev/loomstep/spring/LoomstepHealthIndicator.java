package dev.loomstep.spring;

import dev.loomstep.Loomstep;
import ${loomstep.boot.health.contributor}.AbstractHealthIndicator;
import ${loomstep.boot.health.contributor}.Health;

/**
 * The app's sync with its executor: UP once synced, DOWN with the executor's answer when the last sync
 * failed (no run can start then), UNKNOWN before the first sync.
 */
public final class LoomstepHealthIndicator extends AbstractHealthIndicator {
    private final LoomstepSync sync;
    private final Loomstep app;

    public LoomstepHealthIndicator(LoomstepSync sync, Loomstep app) {
        this.sync = sync;
        this.app = app;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        builder.withDetail("appId", app.appId()).withDetail("mode", app.config().mode())
                .withDetail("functions", app.functions().size()).withDetail("executor", app.config().apiOrigin());
        switch (sync.state()) {
            case LoomstepSync.State.Synced s -> builder.up().withDetail("syncedAs", s.url()).withDetail("syncedAt", s.at().toString());
            case LoomstepSync.State.Failed f -> builder.down().withDetail("syncError", f.error()).withDetail("failedAt", f.at().toString());
            case LoomstepSync.State.NotSynced n -> builder.unknown();
        }
    }
}
