package dev.loomstep.devserver.connect;

import dev.loomstep.connect.protocol.ConnectMessage;
import dev.loomstep.connect.protocol.GatewayMessageType;
import dev.loomstep.connect.protocol.WorkerDisconnectReason;
import com.google.protobuf.ByteString;
import com.google.protobuf.MessageLite;
import io.undertow.websockets.core.CloseMessage;
import io.undertow.websockets.core.WebSocketChannel;
import io.undertow.websockets.core.WebSockets;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** One worker's socket: who it is (after WORKER_CONNECT), whether it takes requests, and its load. */
final class WorkerConnection {

    /** Where a connection is in its life; only READY ones are sent requests. */
    enum Status {
        /** Socket open, GATEWAY_HELLO sent, waiting for WORKER_CONNECT. */
        CONNECTING,
        /** Apps synced and GATEWAY_CONNECTION_READY sent; waiting for WORKER_READY (the worker asked to ack readiness). */
        CONNECTED,
        /** Takes requests. */
        READY,
        /** WORKER_PAUSE, a shutdown in its status, or GATEWAY_CLOSING: finishes what it has, takes nothing new. */
        DRAINING,
        /** The socket is gone. */
        DISCONNECTED
    }

    private final WebSocketChannel channel;
    final Instant openedAt;
    volatile Status status = Status.CONNECTING;
    /** WORKER_CONNECT arrived (its sync may still be under way): a second one is refused. */
    volatile boolean connectReceived;
    volatile String connectionId;
    volatile String instanceId;
    volatile Set<String> apps = Set.of();
    /** Max requests at once (WORKER_CONNECT's max_worker_concurrency); 0: no limit. */
    volatile long maxConcurrency;
    volatile String sdk;
    volatile Instant connectedAt;
    volatile Instant lastHeartbeatAt;
    volatile String closeReason;
    /** Requests sent on this socket and not yet answered. */
    final Set<String> inFlight = ConcurrentHashMap.newKeySet();
    /** Requests reserved for this connection (in flight or being sent): what balancing and the limit count. */
    final AtomicInteger load = new AtomicInteger();

    WorkerConnection(WebSocketChannel channel, Instant now) {
        this.channel = channel;
        this.openedAt = now;
        this.lastHeartbeatAt = now;
    }

    /** Whether a new request of {@code app} may go here. */
    boolean accepts(String app) {
        return status == Status.READY && apps.contains(app) && (maxConcurrency <= 0 || load.get() < maxConcurrency);
    }

    String remote() {
        return String.valueOf(channel.getSourceAddress());
    }

    boolean open() {
        return channel.isOpen() && status != Status.DISCONNECTED;
    }

    void send(GatewayMessageType kind, MessageLite payload) {
        send(kind, payload == null ? ByteString.EMPTY : payload.toByteString());
    }

    void send(GatewayMessageType kind, ByteString payload) {
        byte[] frame = ConnectMessage.newBuilder().setKind(kind).setPayload(payload).build().toByteArray();
        // Undertow queues concurrent sends of whole messages; the lock keeps frames from interleaving callers.
        synchronized (this) {
            if (channel.isOpen()) {
                WebSockets.sendBinary(ByteBuffer.wrap(frame), channel, null);
            }
        }
    }

    /** Closes the socket with {@code reason}'s name as the close reason (as the Inngest gateway and workers do). */
    void close(WorkerDisconnectReason reason, String why) {
        closeReason = reason.name() + (why == null ? "" : ": " + why);
        int code = reason == WorkerDisconnectReason.GATEWAY_DRAINING || reason == WorkerDisconnectReason.WORKER_SHUTDOWN
                ? CloseMessage.NORMAL_CLOSURE : CloseMessage.MSG_VIOLATES_POLICY;
        synchronized (this) {
            if (channel.isOpen()) {
                WebSockets.sendClose(new CloseMessage(code, reason.name()), channel, null);
            }
        }
    }

    /** Closes at once, without a close frame (a worker that stopped answering). */
    void abort() {
        try {
            channel.close();
        } catch (java.io.IOException ignored) {
            // already gone
        }
    }

    /** What the REST API and the UI show of this connection. */
    ConnectGateway.ConnectionInfo info() {
        return new ConnectGateway.ConnectionInfo(connectionId, instanceId, status.name(), connectedAt == null ? openedAt : connectedAt,
                lastHeartbeatAt, load.get(), maxConcurrency <= 0 ? null : maxConcurrency, sdk, List.copyOf(apps));
    }
}
