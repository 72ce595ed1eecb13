package dev.loomstep.connect.internal;

import dev.loomstep.connect.protocol.GatewayExecutorRequestData;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.atomic.AtomicReference;

/** One executor request being run: its lease (null once lost) and the timer that extends it. */
final class InFlight {
    final GatewayExecutorRequestData request;
    final AtomicReference<String> lease;
    private volatile ScheduledFuture<?> extender;

    InFlight(GatewayExecutorRequestData request) {
        this.request = request;
        this.lease = new AtomicReference<>(request.getLeaseId());
    }

    void extender(ScheduledFuture<?> f) {
        this.extender = f;
    }

    void stopExtending() {
        ScheduledFuture<?> f = extender;
        if (f != null) {
            f.cancel(false);
        }
    }
}
