package dev.loomstep.devserver.connect;

import dev.loomstep.connect.protocol.SDKResponse;
import java.util.concurrent.CompletableFuture;

/** One executor request sent to a worker: acked, leased, and answered (or failed) once. */
final class PendingRequest {
    final String requestId;
    final String appName;
    final String functionSlug;
    final WorkerConnection connection;
    final CompletableFuture<Void> acked = new CompletableFuture<>();
    /** Completes with the worker's reply, or exceptionally with {@link WorkerGone} when its connection dropped. */
    final CompletableFuture<SDKResponse> reply = new CompletableFuture<>();
    volatile String leaseId;
    volatile long leaseExpiresAtNanos;

    PendingRequest(String requestId, String appName, String functionSlug, WorkerConnection connection, String leaseId, long leaseExpiresAtNanos) {
        this.requestId = requestId;
        this.appName = appName;
        this.functionSlug = functionSlug;
        this.connection = connection;
        this.leaseId = leaseId;
        this.leaseExpiresAtNanos = leaseExpiresAtNanos;
    }

    /** The worker holding the request went away before it replied. */
    static final class WorkerGone extends RuntimeException {
        WorkerGone(String message) {
            super(message, null, false, false);
        }
    }
}
