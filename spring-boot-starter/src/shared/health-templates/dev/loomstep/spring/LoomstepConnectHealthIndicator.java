package dev.loomstep.spring;

import dev.loomstep.Loomstep;
import ${loomstep.boot.health.contributor}.AbstractHealthIndicator;
import ${loomstep.boot.health.contributor}.Health;

/** The Connect worker's health ({@code ConnectHealth} says what each status means), under this Boot's health API. */
public final class LoomstepConnectHealthIndicator extends AbstractHealthIndicator {
    private final LoomstepConnectWorker worker;
    private final Loomstep app;

    public LoomstepConnectHealthIndicator(LoomstepConnectWorker worker, Loomstep app) {
        this.worker = worker;
        this.app = app;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        ConnectHealth health = ConnectHealth.of(worker, app);
        builder.status(health.status()).withDetails(health.details());
    }
}
