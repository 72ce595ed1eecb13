package dev.loomstep.connect.internal;

import java.net.URI;
import java.time.Duration;

/**
 * What {@code LoomstepConnect.Builder} collects.
 *
 * @param instanceId        this worker's stable name across reconnects (default: the host name)
 * @param maxConcurrency    sent as {@code max_worker_concurrency}; null for none
 * @param gatewayUrl        replaces the gateway endpoint the start call answers; null to use it
 * @param connectTimeout    how long {@code connect()} waits for the first ready connection
 * @param handshakeTimeout  how long one attempt may take from opening the socket to CONNECTION_READY
 * @param backoffFirst      the first reconnect delay; doubled per failed attempt, with jitter
 * @param backoffMax        the longest reconnect delay
 * @param ackDeadline       how long a reply waits for WORKER_REPLY_ACK before it is flushed over HTTP
 */
public record WorkerOptions(String instanceId, Long maxConcurrency, URI gatewayUrl, Duration connectTimeout,
        Duration handshakeTimeout, Duration backoffFirst, Duration backoffMax, Duration ackDeadline) {

    /** The delay before reconnect attempt {@code attempt} (0-based): doubling, capped, then 50–100 % of it. */
    public Duration backoff(int attempt, double random) {
        long first = Math.max(1, backoffFirst.toMillis());
        long capped = Math.min(backoffMax.toMillis(), first << Math.min(attempt, 20));
        return Duration.ofMillis((long) (capped * (0.5 + 0.5 * random)));
    }
}
