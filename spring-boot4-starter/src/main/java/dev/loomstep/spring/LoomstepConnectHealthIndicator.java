package dev.loomstep.spring;

import dev.loomstep.Loomstep;
import dev.loomstep.connect.ConnectionState;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

/**
 * The Connect worker's state: UP while connected and taking requests, DOWN while it has no connection
 * (reconnecting, or its last try to connect failed, or its configuration is refused, with the reason),
 * OUT_OF_SERVICE while it drains,
 * UNKNOWN before its first connection.
 */
public final class LoomstepConnectHealthIndicator extends AbstractHealthIndicator {
    private final LoomstepConnectWorker worker;
    private final Loomstep app;

    public LoomstepConnectHealthIndicator(LoomstepConnectWorker worker, Loomstep app) {
        this.worker = worker;
        this.app = app;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        builder.withDetail("appId", app.appId()).withDetail("mode", app.config().mode())
                .withDetail("functions", app.functions().size()).withDetail("executor", app.config().apiOrigin())
                .withDetail("servedBy", "connect");
        if (worker.instanceId() != null) {
            builder.withDetail("instanceId", worker.instanceId());
        }
        ConnectionState state = worker.state();
        builder.withDetail("state", state == null ? "NOT_STARTED" : state.name());
        String error = worker.lastError();
        if (error != null) {
            builder.withDetail("connectError", error).withDetail("failedAt", String.valueOf(worker.lastErrorAt()));
        }
        if (state == null) {
            if (error != null) {
                builder.down();
            } else {
                builder.unknown();
            }
            return;
        }
        switch (state) {
            case ACTIVE -> builder.up();
            case CONNECTING -> {
                if (error != null) {
                    builder.down();
                } else {
                    builder.unknown();
                }
            }
            case RECONNECTING, CLOSED -> builder.down();
            case PAUSED, CLOSING -> builder.outOfService();
        }
    }
}
