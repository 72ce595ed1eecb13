package dev.loomstep.connect.internal;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.loomstep.connect.protocol.ConnectMessage;
import dev.loomstep.connect.protocol.GatewayExecutorRequestData;
import dev.loomstep.connect.protocol.GatewayMessageType;
import dev.loomstep.connect.protocol.SDKResponse;
import dev.loomstep.connect.protocol.SDKResponseStatus;
import dev.loomstep.connect.protocol.WorkerRequestAckData;
import dev.loomstep.connect.protocol.WorkerRequestExtendLeaseData;
import java.util.concurrent.ScheduledFuture;

/**
 * One gateway connection as the worker sees it: what its socket reports, its heartbeats and status
 * reports, and the executor requests it brings.
 */
final class Connection implements GatewaySocket.Events {
    private final Worker worker;
    private volatile Handshake.Established established;
    volatile boolean dead;
    private volatile int pendingHeartbeats;
    private volatile ScheduledFuture<?> heartbeat;
    private volatile ScheduledFuture<?> status;

    Connection(Worker worker) {
        this.worker = worker;
    }

    void established(Handshake.Established e) {
        this.established = e;
    }

    Handshake.Established established() {
        return established;
    }

    GatewaySocket socket() {
        return established.socket();
    }

    private String id() {
        return established == null ? "(handshaking)" : established.connectionId();
    }

    void startTimers() {
        heartbeat = worker.every(established.heartbeatInterval(), this::heartbeat);
        if (!established.statusInterval().isZero()) {
            status = worker.every(established.statusInterval(), () -> {
                if (!dead) {
                    socket().send(GatewayMessageType.WORKER_STATUS, worker.status());
                }
            });
        }
    }

    void stopTimers() {
        for (ScheduledFuture<?> f : new ScheduledFuture<?>[] {heartbeat, status}) {
            if (f != null) {
                f.cancel(false);
            }
        }
    }

    void close(int code, String reason) {
        dead = true;
        stopTimers();
        if (established != null) {
            established.socket().close(code, reason);
        }
    }

    private void heartbeat() {
        if (dead || worker.active != this) {
            return;
        }
        if (pendingHeartbeats >= worker.missedHeartbeatLimit()) {
            Worker.log.warn("connection {} missed {} gateway heartbeats in a row; reconnecting", id(), pendingHeartbeats);
            socket().close(GatewaySocket.CLOSE_UNEXPECTED, "CONSECUTIVE_HEARTBEATS_MISSED");
            worker.lost(this);
            return;
        }
        pendingHeartbeats++;
        socket().send(GatewayMessageType.WORKER_HEARTBEAT, null);
    }

    @Override
    public void message(GatewaySocket socket, ConnectMessage m) {
        try {
            switch (m.getKind()) {
                case GATEWAY_HEARTBEAT -> pendingHeartbeats = 0;
                case GATEWAY_EXECUTOR_REQUEST -> request(GatewayExecutorRequestData.parseFrom(m.getPayload()));
                case WORKER_REPLY_ACK -> worker.onReplyAck(m);
                case WORKER_REQUEST_EXTEND_LEASE_ACK -> worker.onExtendLeaseAck(m);
                case GATEWAY_CLOSING -> {
                    Worker.log.info("gateway of connection {} is draining; opening a new connection", id());
                    if (worker.active == this) {
                        worker.draining = this;
                        worker.active = null;
                        worker.wake();
                    }
                }
                default -> Worker.log.warn("unexpected {} from the gateway on connection {}; ignored", m.getKind(), id());
            }
        } catch (InvalidProtocolBufferException e) {
            malformed(socket, "a " + m.getKind() + " whose payload is not one (" + e.getMessage() + ")");
        }
    }

    @Override
    public void malformed(GatewaySocket socket, String problem) {
        Worker.log.warn("malformed frame from the gateway on connection {}: {}; closing it and reconnecting", id(), problem);
        socket.close(GatewaySocket.CLOSE_UNEXPECTED, "UNEXPECTED");
        worker.lost(this);
    }

    @Override
    public void closed(GatewaySocket socket, int code, String reason) {
        if (!dead) {
            Worker.log.warn("gateway closed connection {} ({} {}); reconnecting", id(), code, reason == null ? "" : reason);
        }
        worker.lost(this);
    }

    @Override
    public void failed(GatewaySocket socket, Throwable error) {
        if (!dead) {
            Worker.log.warn("connection {} to the gateway failed ({}); reconnecting", id(), error.toString());
        }
        worker.lost(this);
    }

    /** Ack at once, run on a virtual thread, extend the lease while it runs, then reply. */
    private void request(GatewayExecutorRequestData req) {
        if (worker.shutdown) {
            Worker.log.info("not taking request {} for {}: the worker is draining (the gateway sends it elsewhere)",
                    req.getRequestId(), req.getFunctionSlug());
            return;
        }
        if (!req.getAppName().equals(worker.appId())) {
            Worker.log.warn("request {} is for app \"{}\" but this worker serves \"{}\"; not taking it", req.getRequestId(),
                    req.getAppName(), worker.appId());
            return;
        }
        var ack = WorkerRequestAckData.newBuilder().setRequestId(req.getRequestId()).setAccountId(req.getAccountId())
                .setEnvId(req.getEnvId()).setAppId(req.getAppId()).setFunctionSlug(req.getFunctionSlug())
                .setSystemTraceCtx(req.getSystemTraceCtx()).setUserTraceCtx(req.getUserTraceCtx()).setRunId(req.getRunId());
        if (req.hasStepId()) {
            ack.setStepId(req.getStepId());
        }
        socket().send(GatewayMessageType.WORKER_REQUEST_ACK, ack.build());
        var f = new InFlight(req);
        worker.inFlight.put(req.getRequestId(), f);
        f.extender(worker.every(established.extendLeaseInterval(), () -> extendLease(f)));
        Thread.ofVirtual().name("loomstep-connect-" + req.getRequestId()).start(() -> execute(f));
    }

    private void execute(InFlight f) {
        SDKResponse reply;
        try {
            reply = worker.runner.run(f.request);
        } catch (RuntimeException | Error e) {
            Worker.log.error("request {} failed inside Loomstep", f.request.getRequestId(), e);
            reply = SDKResponse.newBuilder().setRequestId(f.request.getRequestId()).setAccountId(f.request.getAccountId())
                    .setEnvId(f.request.getEnvId()).setAppId(f.request.getAppId()).setRunId(f.request.getRunId())
                    .setStatus(SDKResponseStatus.ERROR).setBody(ByteString.copyFromUtf8("{\"message\":\"internal error in the Loomstep SDK\"}"))
                    .build();
        } finally {
            f.stopExtending();
        }
        // Delivered (or buffered) before it leaves the in-flight set, so a drain never finishes without it.
        worker.deliver(reply);
        worker.inFlight.remove(f.request.getRequestId());
        if (worker.shutdown) {
            worker.wake();
        }
    }

    private void extendLease(InFlight f) {
        String lease = f.lease.get();
        if (lease == null) {
            f.stopExtending();
            return;
        }
        // The JS worker extends over the newest connection, or this one unless it is being replaced.
        Connection target = worker.active != null ? worker.active : worker.draining != null ? null : this;
        if (target == null || target.dead) {
            Worker.log.warn("cannot extend the lease of request {}: no open connection", f.request.getRequestId());
            return;
        }
        var req = f.request;
        var b = WorkerRequestExtendLeaseData.newBuilder().setRequestId(req.getRequestId()).setAccountId(req.getAccountId())
                .setEnvId(req.getEnvId()).setAppId(req.getAppId()).setFunctionSlug(req.getFunctionSlug())
                .setSystemTraceCtx(req.getSystemTraceCtx()).setUserTraceCtx(req.getUserTraceCtx()).setRunId(req.getRunId())
                .setLeaseId(lease);
        if (req.hasStepId()) {
            b.setStepId(req.getStepId());
        }
        target.socket().send(GatewayMessageType.WORKER_REQUEST_EXTEND_LEASE, b.build());
    }
}
