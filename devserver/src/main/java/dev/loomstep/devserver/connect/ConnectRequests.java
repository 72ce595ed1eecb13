package dev.loomstep.devserver.connect;

import com.google.protobuf.ByteString;
import dev.loomstep.connect.protocol.GatewayExecutorRequestData;
import dev.loomstep.devserver.executor.RunTraces;
import dev.loomstep.connect.protocol.GatewayMessageType;
import dev.loomstep.connect.protocol.SDKResponse;
import dev.loomstep.connect.protocol.SDKResponseStatus;
import dev.loomstep.connect.protocol.WorkerRequestAckData;
import dev.loomstep.connect.protocol.WorkerRequestExtendLeaseAckData;
import dev.loomstep.connect.protocol.WorkerRequestExtendLeaseData;
import dev.loomstep.devserver.executor.Dispatches;
import dev.loomstep.devserver.executor.SdkAnswer;
import dev.loomstep.devserver.executor.SdkClient;
import dev.loomstep.devserver.executor.SdkTransport;
import dev.loomstep.devserver.internal.Ulid;
import dev.loomstep.protocol.WireError;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The executor's requests to Connect workers: picks a ready connection of the app (least in flight,
 * within its max concurrency), sends GATEWAY_EXECUTOR_REQUEST, waits for the ack (else tries another
 * connection), keeps the lease while the worker extends it, and turns the reply into the answer an HTTP
 * call would have produced. A worker that vanishes or lets its lease lapse fails the call the way a
 * dropped HTTP connection does: the executor retries it (at-least-once).
 */
final class ConnectRequests {
    private static final Logger LOG = LoggerFactory.getLogger(ConnectRequests.class);
    /** The dev server's single account and environment, as sent in every request (workers echo them). */
    static final String ACCOUNT_ID = "00000000-0000-4000-a000-000000000000";
    static final String ENV_ID = "00000000-0000-4000-b000-000000000000";

    private final ConnectGateway gateway;
    private final ConnectGateway.Settings settings;
    private final Map<String, PendingRequest> pending = new ConcurrentHashMap<>();

    /** Null until wired: then each call's trace context goes in {@code user_trace_ctx}. */
    private volatile RunTraces traces;

    void traces(RunTraces traces) {
        this.traces = traces;
    }

    ConnectRequests(ConnectGateway gateway, ConnectGateway.Settings settings) {
        this.gateway = gateway;
        this.settings = settings;
    }

    /** The id the gateway gives an app (workers echo it; only the app name routes). */
    static String appUuid(String appName) {
        return UUID.nameUUIDFromBytes(("loomstep-devserver/app/" + appName).getBytes(StandardCharsets.UTF_8)).toString();
    }

    /** Makes one call through a worker of {@code appName}; blocks on the calling (virtual) thread. */
    SdkClient.Reply call(String appName, SdkTransport.Call call, java.time.Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Dispatches.Dispatch d = call.dispatch();
        String requestId = d == null ? Ulid.next() : d.requestId();
        Set<WorkerConnection> tried = new HashSet<>();
        long noWorkerUntil = System.nanoTime() + Math.min(settings.noWorker().toNanos(), timeout.toNanos());
        while (true) {
            WorkerConnection conn = reserve(appName, tried);
            if (conn == null) {
                if (System.nanoTime() - noWorkerUntil < 0) {
                    Thread.sleep(50); // a worker reconnecting (after a restart or GATEWAY_CLOSING) takes a moment
                    continue;
                }
                return retry("ConnectionError", tried.isEmpty()
                        ? "no worker of app \"" + appName + "\" is connected to the Connect gateway (start a worker, or wait for it to reconnect)"
                        : "no worker of app \"" + appName + "\" acknowledged the request within " + settings.ack().toMillis() + " ms");
            }
            var p = new PendingRequest(requestId, appName, call.fn().id(), conn, Ulid.next(), System.nanoTime() + settings.lease().toNanos());
            pending.put(requestId, p);
            conn.inFlight.add(requestId);
            try {
                conn.send(GatewayMessageType.GATEWAY_EXECUTOR_REQUEST, request(appName, call, requestId, p.leaseId));
                try {
                    p.acked.get(settings.ack().toMillis(), TimeUnit.MILLISECONDS);
                } catch (TimeoutException | ExecutionException e) {
                    if (!p.reply.isDone()) {
                        // Not taken: another connection may take it (the worker may still run it: at-least-once).
                        LOG.warn("connect: worker {} ({}) did not ack request {} for {} within {} ms; trying another",
                                conn.instanceId, conn.connectionId, requestId, call.fn().id(), settings.ack().toMillis());
                        tried.add(conn);
                        continue;
                    }
                }
                return await(p, deadline, timeout);
            } finally {
                pending.remove(requestId, p);
                conn.inFlight.remove(requestId);
                conn.load.decrementAndGet();
            }
        }
    }

    private SdkClient.Reply await(PendingRequest p, long deadline, java.time.Duration timeout) throws InterruptedException {
        while (true) {
            long now = System.nanoTime();
            if (now - deadline >= 0) {
                return retry("TimeoutError", "the Connect worker " + p.connection.instanceId + " did not answer within " + timeout.toSeconds() + " s");
            }
            if (now - p.leaseExpiresAtNanos >= 0) {
                return retry("ConnectionError", "the lease of the Connect worker " + p.connection.instanceId
                        + " on this request expired before it replied (it stopped extending it)");
            }
            long wait = Math.min(deadline - now, p.leaseExpiresAtNanos - now);
            try {
                return reply(p.reply.get(Math.max(1, wait), TimeUnit.NANOSECONDS));
            } catch (TimeoutException e) {
                // loop: the lease may have been extended meanwhile
            } catch (ExecutionException e) {
                return retry("ConnectionError", e.getCause().getMessage());
            }
        }
    }

    /** Reserves a slot on the ready connection of the app with the fewest requests in flight. */
    private synchronized WorkerConnection reserve(String appName, Set<WorkerConnection> tried) {
        WorkerConnection best = null;
        for (WorkerConnection c : gateway.all()) {
            if (!tried.contains(c) && c.accepts(appName) && (best == null || c.load.get() < best.load.get())) {
                best = c;
            }
        }
        if (best != null) {
            best.load.incrementAndGet();
        }
        return best;
    }

    private GatewayExecutorRequestData request(String appName, SdkTransport.Call call, String requestId, String leaseId) {
        var b = GatewayExecutorRequestData.newBuilder()
                .setRequestId(requestId)
                .setAccountId(ACCOUNT_ID)
                .setEnvId(ENV_ID)
                .setAppId(appUuid(appName))
                .setAppName(appName)
                .setFunctionId(Dispatches.fnUuid(call.fn().id()))
                .setFunctionSlug(call.fn().id())
                .setRequestPayload(ByteString.copyFrom(call.body()))
                .setRunId(call.runId() == null ? "" : call.runId())
                .setLeaseId(leaseId);
        if (call.stepId() != null) {
            b.setStepId(call.stepId());
        }
        if (call.dispatch() != null) {
            b.setJobId(Long.toString(call.dispatch().queueItemId()));
            RunTraces t = traces;
            if (t != null) {
                // {"traceparent": …, "tracestate": …}: what the JS worker reads back as the call's headers
                var ctx = dev.loomstep.protocol.Json.nodes().objectNode();
                t.headers(call.dispatch().runId(), call.dispatch().fnId()).forEach(h -> ctx.put(h.getKey(), h.getValue()));
                b.setUserTraceCtx(ByteString.copyFrom(dev.loomstep.protocol.Json.toBytes(ctx)));
            }
        }
        return b.build();
    }

    /**
     * The worker's reply as the HTTP answer it stands for, mapped as the Inngest executor maps it: DONE is a
     * 200, NOT_COMPLETED a 206, ERROR a 500; {@code no_retry} and {@code retry_after} are the headers of the
     * same names, {@code request_version} the execution version. One addition: DONE with {@code no_retry}
     * is a rejected function, as the 400 it stands for — the JS worker (4.24) sends its
     * {@code NonRetriableError} answer that way (only 200, 206 and 500 have statuses of their own), and a
     * success never says "do not retry".
     */
    static SdkClient.Reply reply(SDKResponse r) {
        int status = switch (r.getStatus()) {
            case DONE -> r.getNoRetry() ? 400 : 200;
            case NOT_COMPLETED -> 206;
            case ERROR -> 500;
            default -> 500;
        };
        byte[] body = r.getBody().toByteArray();
        SdkAnswer answer = SdkClient.classify(status, body, r.getNoRetry() ? "true" : null, r.hasRetryAfter() ? r.getRetryAfter() : null);
        return new SdkClient.Reply(answer, r.getStatus() == SDKResponseStatus.UNRECOGNIZED ? null : (int) r.getRequestVersion(), body.length);
    }

    private static SdkClient.Reply retry(String name, String message) {
        return new SdkClient.Reply(new SdkAnswer.Retry(WireError.of(name, message), null), null);
    }

    void acked(WorkerConnection conn, WorkerRequestAckData ack) {
        PendingRequest p = pending.get(ack.getRequestId());
        if (p != null) {
            p.acked.complete(null);
        }
    }

    void extendLease(WorkerConnection conn, WorkerRequestExtendLeaseData ext) {
        PendingRequest p = pending.get(ext.getRequestId());
        var ack = WorkerRequestExtendLeaseAckData.newBuilder().setRequestId(ext.getRequestId()).setAccountId(ext.getAccountId())
                .setEnvId(ext.getEnvId()).setAppId(ext.getAppId()).setFunctionSlug(ext.getFunctionSlug());
        // Only the current lease holder extends it; a stale lease id (or a finished request) gets no new lease.
        if (p != null && !p.reply.isDone() && p.leaseId.equals(ext.getLeaseId())) {
            p.leaseId = Ulid.next();
            p.leaseExpiresAtNanos = System.nanoTime() + settings.lease().toNanos();
            ack.setNewLeaseId(p.leaseId);
        }
        conn.send(GatewayMessageType.WORKER_REQUEST_EXTEND_LEASE_ACK, ack.build());
    }

    /** A reply, over the socket or flushed over HTTP; true when a call was waiting for it. */
    boolean replied(SDKResponse reply, String how) {
        PendingRequest p = pending.get(reply.getRequestId());
        if (p == null) {
            LOG.debug("connect: {} for request {} that is not in flight (answered already, or given up): ignored", how, reply.getRequestId());
            return false;
        }
        p.acked.complete(null);
        return p.reply.complete(reply);
    }

    /**
     * A socket closed: its requests fail now (the executor retries them), unless it was draining — a
     * worker leaving gracefully replies over its next connection or the flush endpoint, within the lease.
     */
    void connectionClosed(WorkerConnection conn, boolean draining) {
        if (draining) {
            return;
        }
        for (String id : conn.inFlight) {
            PendingRequest p = pending.get(id);
            if (p != null && p.connection == conn) {
                p.reply.completeExceptionally(new PendingRequest.WorkerGone("the Connect worker " + conn.instanceId
                        + " disconnected before it replied" + (conn.closeReason == null ? "" : " (" + conn.closeReason + ")")));
            }
        }
    }

    /** Waits until no request is in flight, or {@code max} has passed. */
    void awaitIdle(java.time.Duration max) {
        long until = System.nanoTime() + max.toNanos();
        while (!pending.isEmpty() && System.nanoTime() - until < 0) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    void failAll(String why) {
        pending.values().forEach(p -> p.reply.completeExceptionally(new PendingRequest.WorkerGone(why)));
    }
}
