package dev.loomstep.http;

import java.time.Duration;
import java.time.Instant;
import org.slf4j.Logger;

/**
 * The app's side of a signature the executor sent and this app could not verify: one WARN saying what
 * to check, then at most one a minute (with how many were not logged), so that an executor retrying
 * every run does not flood the log. Only the first 12 hex digits of each hashed key are named.
 */
final class RefusalWarnings {
    static final Duration EVERY = Duration.ofMinutes(1);

    private final Logger log;
    private final String appId;
    private final String keyHash;
    private final String fallbackHash;
    private Instant next = Instant.MIN;
    private int unlogged;

    RefusalWarnings(Logger log, String appId, String keyHash, String fallbackHash) {
        this.log = log;
        this.appId = appId;
        this.keyHash = keyHash;
        this.fallbackHash = fallbackHash;
    }

    /** Notes one refused request; logs when the last WARN is a minute old. */
    void refused(String method, String reason, Instant now) {
        int more;
        synchronized (this) {
            if (now.isBefore(next)) {
                unlogged++;
                return;
            }
            next = now.plus(EVERY);
            more = unlogged;
            unlogged = 0;
        }
        log.warn("app \"{}\" refused a {} from the executor: {}. It verifies with its signing key (hash {}…){}: set"
                        + " INNGEST_SIGNING_KEY to the executor's signing key (a Loomstep devserver's --signing-key; Inngest's"
                        + " key of the same environment), check both clocks, and that an executor in dev mode (unsigned calls)"
                        + " meets an app in dev mode (INNGEST_DEV=1){}",
                appId, method.equals("POST") ? "call" : method, reason, keyHash,
                fallbackHash == null ? " and has no fallback key" : " and its fallback (hash " + fallbackHash + "…)",
                more == 0 ? "" : "; " + more + " more refusal(s) since the last warning were not logged");
    }
}
