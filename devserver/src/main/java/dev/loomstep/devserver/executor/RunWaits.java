package dev.loomstep.devserver.executor;

import java.time.Instant;
import java.time.InstantSource;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which running runs have a call held back by a full concurrency limit, and since when: in memory only
 * (a held call re-enters the queue every 20–40 ms; writing that down would cost more than the call).
 * The REST API reads it to say why a run is not moving.
 */
public final class RunWaits {
    private final InstantSource clock;
    private final Map<String, Instant> heldSince = new ConcurrentHashMap<>();

    RunWaits(InstantSource clock) {
        this.clock = clock;
    }

    /** A call of the run was put back because a concurrency limit is full (keeps the first time). */
    void heldByConcurrency(String runId) {
        heldSince.putIfAbsent(runId, clock.instant());
    }

    /** A call of the run went out, or the run ended. */
    void released(String runId) {
        heldSince.remove(runId);
    }

    /** Since when the run's next call has been waiting for a concurrency slot; empty when it is not. */
    public Optional<Instant> concurrencyHeldSince(String runId) {
        return Optional.ofNullable(heldSince.get(runId));
    }
}
