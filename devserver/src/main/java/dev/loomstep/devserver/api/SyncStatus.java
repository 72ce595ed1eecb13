package dev.loomstep.devserver.api;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The last failed sync of each app (a refused sync body, or a Resync the app did not answer), until
 * the next good sync clears it. In memory: a restart forgets it, and the app's next sync says again.
 */
final class SyncStatus {
    /** A failed sync: what went wrong, when, and the URL it came from (null when unknown). */
    record Failure(String message, Instant at, String url) {}

    private final Map<String, Failure> failures = new ConcurrentHashMap<>();

    void failed(String appId, String url, String message, Instant at) {
        failures.put(appId, new Failure(message, at, url));
    }

    void synced(String appId) {
        failures.remove(appId);
    }

    Optional<Failure> failure(String appId) {
        return Optional.ofNullable(failures.get(appId));
    }

    Map<String, Failure> all() {
        return Map.copyOf(failures);
    }
}
