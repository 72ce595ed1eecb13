package dev.loomstep.devserver.connect;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.loomstep.connect.protocol.ConnectMessage;
import dev.loomstep.connect.protocol.GatewayConnectionReadyData;
import dev.loomstep.connect.protocol.GatewayMessageType;
import dev.loomstep.connect.protocol.SDKResponse;
import dev.loomstep.connect.protocol.WorkerConnectRequestData;
import dev.loomstep.connect.protocol.WorkerDisconnectReason;
import dev.loomstep.connect.protocol.WorkerReplyAckData;
import dev.loomstep.connect.protocol.WorkerRequestAckData;
import dev.loomstep.connect.protocol.WorkerRequestExtendLeaseAckData;
import dev.loomstep.connect.protocol.WorkerRequestExtendLeaseData;
import dev.loomstep.connect.protocol.WorkerStatusData;
import dev.loomstep.devserver.executor.Registry;
import dev.loomstep.devserver.executor.RunTraces;
import dev.loomstep.devserver.internal.Ulid;
import dev.loomstep.protocol.Json;
import io.undertow.Handlers;
import io.undertow.Undertow;
import io.undertow.websockets.WebSocketProtocolHandshakeHandler;
import io.undertow.websockets.core.AbstractReceiveListener;
import io.undertow.websockets.core.BufferedBinaryMessage;
import io.undertow.websockets.core.BufferedTextMessage;
import io.undertow.websockets.core.WebSocketChannel;
import io.undertow.websockets.core.WebSockets;
import io.undertow.websockets.core.protocol.version13.Hybi13Handshake;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Connect gateway: a WebSocket server on its own port (Inngest's is 8289) that workers dial after
 * {@code POST /v0/connect/start}. It runs each socket through GATEWAY_HELLO → WORKER_CONNECT (tokens
 * checked, apps synced) → GATEWAY_CONNECTION_READY, answers heartbeats, drops sockets that stop sending
 * them, and hands requests and replies to {@link ConnectRequests}. A malformed or unexpected frame closes
 * that one socket, with the {@link WorkerDisconnectReason} name as the close reason.
 */
public final class ConnectGateway implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ConnectGateway.class);
    /** The WebSocket subprotocol of Connect v0. */
    public static final String SUBPROTOCOL = "v0.connect.inngest.com";
    /** The gateway port Inngest uses. */
    public static final int DEFAULT_PORT = 8289;
    /** Missed heartbeat intervals after which a silent worker is dropped. */
    static final int MISSED_HEARTBEATS = 3;
    private static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);
    /** The largest frame taken: as large as the HTTP API's largest body (a reply carries a call's answer). */
    static final long MAX_FRAME_BYTES = 64L * 1024 * 1024;

    /** What a start request hands out, until the worker presents it in WORKER_CONNECT (once). */
    private record Session(String sessionToken, String syncToken, long expiresAtNanos) {}

    /**
     * Timings. {@code heartbeat}, {@code extendLease} and {@code status} are sent to workers in
     * GATEWAY_CONNECTION_READY; {@code lease} is how long a request stays a worker's without an extension;
     * {@code ack} how long a worker has to ack a request before another one is tried; {@code noWorker} how
     * long a call waits for a worker of its app before it fails (and is retried); {@code drain} how long a
     * shutdown waits for requests in flight.
     */
    public record Settings(Duration heartbeat, Duration extendLease, Duration status, Duration lease, Duration ack,
                           Duration noWorker, Duration drain) {
        /** Inngest's intervals (10 s heartbeats, leases extended every 5 s, 20 s leases). */
        public static Settings defaults() {
            return new Settings(Duration.ofSeconds(10), Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(20),
                    Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofSeconds(10));
        }
    }

    /** Where a worker's apps go: the same sync an HTTP {@code /fn/register} makes, or its refusal. */
    public interface AppSink {
        void synced(Registry.Sync sync);

        void refused(String appName, String reason);

        /** Why this sync may not replace the app of the same id (an HTTP app's), or null when it may. */
        default String conflict(Registry.Sync sync) {
            return null;
        }
    }

    /** A connection as the REST API and the UI show it. */
    public record ConnectionInfo(String connectionId, String instanceId, String status, Instant connectedAt,
                                 Instant lastHeartbeatAt, int inFlight, Long maxConcurrency, String sdk, List<String> apps) {}

    private final Settings settings;
    private final AppSink sink;
    private final Undertow undertow;
    private final int port;
    private final String host;
    private final Set<WorkerConnection> connections = ConcurrentHashMap.newKeySet();
    private final Map<String, Session> sessions = new ConcurrentHashMap<>();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("loomstep-connect-timer").factory());
    private final ConnectRequests requests;
    private volatile boolean answerHeartbeats = true;
    private volatile boolean closing;

    /**
     * Starts listening on {@code host:port} (0 for a free port).
     *
     * @param sink where the apps of WORKER_CONNECT are synced
     */
    public ConnectGateway(String host, int port, Settings settings, AppSink sink) {
        this.settings = settings;
        this.sink = sink;
        this.requests = new ConnectRequests(this, settings);
        var ws = new WebSocketProtocolHandshakeHandler(List.of(new Hybi13Handshake(Set.of(SUBPROTOCOL), false)),
                (io.undertow.websockets.WebSocketConnectionCallback) (exchange, channel) -> accept(channel));
        this.undertow = Undertow.builder()
                .addHttpListener(port, host)
                .setIoThreads(1)
                .setWorkerThreads(2)
                .setHandler(Handlers.path().addExactPath("/v0/connect", ws))
                .build();
        try {
            undertow.start();
        } catch (RuntimeException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new IllegalStateException("the Connect gateway cannot listen on " + host + ":" + port + " (" + cause.getMessage()
                    + "): choose another port with --connect-gateway-port / connectPort(int), or turn Connect off with --no-connect / noConnect()");
        }
        this.port = ((InetSocketAddress) undertow.getListenerInfo().get(0).getAddress()).getPort();
        this.host = host.equals("0.0.0.0") || host.equals("::") ? "127.0.0.1" : host;
        long every = Math.max(50, settings.heartbeat().toMillis() / 2);
        timer.scheduleAtFixedRate(this::checkHeartbeats, every, every, TimeUnit.MILLISECONDS);
    }

    /** The port listened on. */
    public int port() {
        return port;
    }

    /** The WebSocket URL workers are sent to; {@code requestHost} is the host the start request was made to, when known. */
    String endpoint(String requestHost) {
        String h = requestHost == null || requestHost.isBlank() ? host : requestHost;
        return "ws://" + (h.contains(":") && !h.startsWith("[") ? "[" + h + "]" : h) + ":" + port + "/v0/connect";
    }

    /** Sends each call's trace context as {@code user_trace_ctx}, as Inngest's gateway does (see {@link RunTraces}). */
    public void traces(RunTraces traces) {
        requests.traces(traces);
    }

    ConnectRequests requests() {
        return requests;
    }

    Settings settings() {
        return settings;
    }

    /**
     * Fault injection for tests: with false the gateway stops answering WORKER_HEARTBEAT (as a hung
     * gateway would), so workers see their heartbeats go unanswered and reconnect.
     */
    public void answerHeartbeats(boolean answer) {
        this.answerHeartbeats = answer;
    }

    /** A new session for a start request: its connection id and tokens, valid for one WORKER_CONNECT. */
    String[] newSession() {
        String connectionId = Ulid.next();
        String session = Ulid.next() + Ulid.next();
        String sync = Ulid.next() + Ulid.next();
        long now = System.nanoTime();
        sessions.values().removeIf(s -> s.expiresAtNanos() - now < 0);
        sessions.put(connectionId, new Session(session, sync, now + Duration.ofMinutes(5).toNanos()));
        return new String[] {connectionId, session, sync};
    }

    /** Connections serving {@code app}, for the REST API and the UI. */
    public List<ConnectionInfo> connections(String app) {
        var out = new ArrayList<ConnectionInfo>();
        for (WorkerConnection c : connections) {
            if (c.status != WorkerConnection.Status.CONNECTING && c.status != WorkerConnection.Status.DISCONNECTED
                    && c.apps.contains(app)) {
                out.add(c.info());
            }
        }
        out.sort((a, b) -> a.connectedAt().compareTo(b.connectedAt()));
        return out;
    }

    Collection<WorkerConnection> all() {
        return connections;
    }

    // ---------------------------------------------------------------- sockets

    private void accept(WebSocketChannel channel) {
        var conn = new WorkerConnection(channel, Instant.now());
        if (closing) {
            conn.close(WorkerDisconnectReason.GATEWAY_DRAINING, null);
            return;
        }
        connections.add(conn);
        channel.addCloseTask(ch -> closed(conn));
        channel.getReceiveSetter().set(new AbstractReceiveListener() {
            @Override
            protected void onFullBinaryMessage(WebSocketChannel ch, BufferedBinaryMessage message) {
                var data = message.getData();
                byte[] bytes;
                try {
                    ByteBuffer merged = WebSockets.mergeBuffers(data.getResource());
                    bytes = new byte[merged.remaining()];
                    merged.get(bytes);
                } finally {
                    data.free();
                }
                frame(conn, bytes);
            }

            @Override
            protected long getMaxBinaryBufferSize() {
                return MAX_FRAME_BYTES; // larger frames close the socket (1009) before they are buffered
            }

            @Override
            protected void onFullTextMessage(WebSocketChannel ch, BufferedTextMessage message) {
                refuse(conn, WorkerDisconnectReason.UNEXPECTED, "a text frame (Connect frames are binary protobuf)");
            }
        });
        channel.resumeReceives();
        conn.send(GatewayMessageType.GATEWAY_HELLO, (com.google.protobuf.MessageLite) null);
        timer.schedule(() -> {
            if (conn.status == WorkerConnection.Status.CONNECTING && conn.open()) {
                refuse(conn, WorkerDisconnectReason.UNEXPECTED, "no WORKER_CONNECT within " + HANDSHAKE_TIMEOUT.toSeconds() + " s of GATEWAY_HELLO");
            }
        }, HANDSHAKE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void closed(WorkerConnection conn) {
        WorkerConnection.Status was = conn.status;
        conn.status = WorkerConnection.Status.DISCONNECTED;
        connections.remove(conn);
        if (was != WorkerConnection.Status.CONNECTING) {
            LOG.info("connect: worker {} ({}) disconnected{}", conn.instanceId, conn.connectionId,
                    conn.closeReason == null ? "" : " — " + conn.closeReason);
        }
        requests.connectionClosed(conn, was == WorkerConnection.Status.DRAINING);
    }

    /** Closes one connection for a protocol fault, with one log line; nothing else is affected. */
    private void refuse(WorkerConnection conn, WorkerDisconnectReason reason, String why) {
        LOG.warn("connect: closing the connection from {}{} ({}): {}", conn.remote(),
                conn.instanceId == null ? "" : " (worker " + conn.instanceId + ")", reason.name(), why);
        conn.close(reason, why);
    }

    private void frame(WorkerConnection conn, byte[] bytes) {
        ConnectMessage msg;
        try {
            msg = ConnectMessage.parseFrom(bytes);
            if (msg.getKind() == GatewayMessageType.UNRECOGNIZED) {
                throw new InvalidProtocolBufferException("unknown message kind " + msg.getKindValue());
            }
        } catch (InvalidProtocolBufferException e) {
            refuse(conn, WorkerDisconnectReason.UNEXPECTED, "a frame that is not a Connect message (" + e.getMessage() + ")");
            return;
        }
        try {
            handle(conn, msg);
        } catch (InvalidProtocolBufferException e) {
            refuse(conn, WorkerDisconnectReason.UNEXPECTED, "a " + msg.getKind() + " frame whose payload does not decode (" + e.getMessage() + ")");
        } catch (RuntimeException e) {
            LOG.error("connect: handling {} from {} failed", msg.getKind(), conn.remote(), e);
            refuse(conn, WorkerDisconnectReason.UNEXPECTED, "internal error handling " + msg.getKind());
        }
    }

    private void handle(WorkerConnection conn, ConnectMessage msg) throws InvalidProtocolBufferException {
        GatewayMessageType kind = msg.getKind();
        if (conn.status == WorkerConnection.Status.CONNECTING) {
            if (kind != GatewayMessageType.WORKER_CONNECT || conn.connectReceived) {
                refuse(conn, WorkerDisconnectReason.UNEXPECTED, (conn.connectReceived ? "a second frame before GATEWAY_CONNECTION_READY: "
                        : "expected WORKER_CONNECT after GATEWAY_HELLO, got ") + kind);
                return;
            }
            conn.connectReceived = true;
            WorkerConnectRequestData data = WorkerConnectRequestData.parseFrom(msg.getPayload());
            // The sync writes to the store: off the socket's IO thread, which serves every other worker too.
            Thread.ofVirtual().name("loomstep-connect-sync").start(() -> {
                try {
                    workerConnect(conn, data);
                } catch (RuntimeException e) {
                    LOG.error("connect: WORKER_CONNECT from {} failed", conn.remote(), e);
                    refuse(conn, WorkerDisconnectReason.UNEXPECTED, "internal error handling WORKER_CONNECT");
                }
            });
            return;
        }
        switch (kind) {
            case WORKER_HEARTBEAT -> {
                conn.lastHeartbeatAt = Instant.now();
                if (answerHeartbeats) {
                    conn.send(GatewayMessageType.GATEWAY_HEARTBEAT, (com.google.protobuf.MessageLite) null);
                }
            }
            case WORKER_READY -> {
                if (conn.status == WorkerConnection.Status.CONNECTED) {
                    conn.status = closing ? WorkerConnection.Status.DRAINING : WorkerConnection.Status.READY;
                }
            }
            case WORKER_PAUSE -> {
                conn.status = WorkerConnection.Status.DRAINING;
                LOG.info("connect: worker {} ({}) paused: no new requests go to it", conn.instanceId, conn.connectionId);
            }
            case WORKER_STATUS -> {
                WorkerStatusData status = WorkerStatusData.parseFrom(msg.getPayload());
                if (status.getShutdownRequested()) {
                    conn.status = WorkerConnection.Status.DRAINING;
                }
            }
            case WORKER_REQUEST_ACK -> requests.acked(conn, WorkerRequestAckData.parseFrom(msg.getPayload()));
            case WORKER_REQUEST_EXTEND_LEASE -> requests.extendLease(conn, WorkerRequestExtendLeaseData.parseFrom(msg.getPayload()));
            case WORKER_REPLY -> {
                SDKResponse reply = SDKResponse.parseFrom(msg.getPayload());
                requests.replied(reply, "WORKER_REPLY");
                conn.send(GatewayMessageType.WORKER_REPLY_ACK, WorkerReplyAckData.newBuilder().setRequestId(reply.getRequestId()).build());
            }
            default -> refuse(conn, WorkerDisconnectReason.UNEXPECTED, "a " + kind + " frame, which workers do not send");
        }
    }

    private void workerConnect(WorkerConnection conn, WorkerConnectRequestData data) {
        Session session = sessions.remove(data.getConnectionId());
        if (session == null || !session.sessionToken().equals(data.getAuthData().getSessionToken())
                || !session.syncToken().equals(data.getAuthData().getSyncToken())) {
            refuse(conn, WorkerDisconnectReason.UNEXPECTED, "WORKER_CONNECT for connection " + data.getConnectionId()
                    + " without the session and sync tokens POST /v0/connect/start gave it");
            return;
        }
        if (data.getAppsCount() == 0) {
            conn.send(GatewayMessageType.SYNC_FAILED, com.google.protobuf.ByteString.copyFromUtf8("WORKER_CONNECT carries no app"));
            refuse(conn, WorkerDisconnectReason.UNEXPECTED, "WORKER_CONNECT carries no app");
            return;
        }
        String sdk = (data.getSdkLanguage().isBlank() ? "unknown" : data.getSdkLanguage()) + ":" + data.getSdkVersion();
        var syncs = new ArrayList<Registry.Sync>();
        for (var app : data.getAppsList()) {
            try {
                JsonNode fns = app.getFunctions().isEmpty() ? null : Json.mapper().readTree(app.getFunctions().toByteArray());
                var sync = Registry.parseConnectSync(app.getAppName(), app.hasAppVersion() ? app.getAppVersion() : null, fns, sdk,
                        data.getFramework().isBlank() ? "connect" : data.getFramework(), System.currentTimeMillis());
                String conflict = sink.conflict(sync);
                if (conflict != null) {
                    throw new IllegalArgumentException(conflict);
                }
                syncs.add(sync);
            } catch (IllegalArgumentException | java.io.IOException e) {
                String reason = e instanceof java.io.IOException ? "the functions of app \"" + app.getAppName() + "\" are not JSON" : e.getMessage();
                sink.refused(app.getAppName(), reason);
                conn.send(GatewayMessageType.SYNC_FAILED, com.google.protobuf.ByteString.copyFromUtf8(reason));
                refuse(conn, WorkerDisconnectReason.UNEXPECTED, "sync failed: " + reason);
                return;
            }
        }
        syncs.forEach(sink::synced);
        var apps = new LinkedHashSet<String>();
        syncs.forEach(s -> apps.add(s.app().id()));
        conn.connectionId = data.getConnectionId();
        conn.instanceId = data.getInstanceId().isBlank() ? data.getConnectionId() : data.getInstanceId();
        conn.apps = Set.copyOf(apps);
        conn.maxConcurrency = data.hasMaxWorkerConcurrency() ? data.getMaxWorkerConcurrency() : 0;
        conn.sdk = sdk;
        conn.connectedAt = Instant.now();
        conn.lastHeartbeatAt = conn.connectedAt;
        conn.status = data.getWorkerManualReadinessAck() ? WorkerConnection.Status.CONNECTED
                : closing ? WorkerConnection.Status.DRAINING : WorkerConnection.Status.READY;
        conn.send(GatewayMessageType.GATEWAY_CONNECTION_READY, GatewayConnectionReadyData.newBuilder()
                .setHeartbeatInterval(goDuration(settings.heartbeat()))
                .setExtendLeaseInterval(goDuration(settings.extendLease()))
                .setStatusInterval(goDuration(settings.status()))
                .build());
        LOG.info("connect: worker {} ({}, {}) connected as {} serving {}{}", conn.instanceId, sdk, conn.remote(), conn.connectionId,
                apps, conn.maxConcurrency > 0 ? ", at most " + conn.maxConcurrency + " requests at once" : "");
    }

    /** Drops connections that sent no heartbeat for {@link #MISSED_HEARTBEATS} intervals. */
    private void checkHeartbeats() {
        try {
            Instant cutoff = Instant.now().minus(settings.heartbeat().multipliedBy(MISSED_HEARTBEATS));
            for (WorkerConnection c : connections) {
                if (c.status != WorkerConnection.Status.CONNECTING && c.lastHeartbeatAt.isBefore(cutoff)) {
                    refuse(c, WorkerDisconnectReason.CONSECUTIVE_HEARTBEATS_MISSED, "no heartbeat since " + c.lastHeartbeatAt);
                    c.abort();
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("connect: heartbeat check failed", e);
        }
    }

    /** A duration as the Inngest gateway writes it in GATEWAY_CONNECTION_READY ("10s", "500ms"). */
    static String goDuration(Duration d) {
        long ms = d.toMillis();
        return ms % 1000 == 0 ? ms / 1000 + "s" : ms + "ms";
    }

    /**
     * Drains and stops: GATEWAY_CLOSING to every worker (they open a new connection elsewhere and take no
     * new requests here), a wait of up to {@link Settings#drain} for the replies in flight, then the sockets
     * close with GATEWAY_DRAINING.
     */
    @Override
    public void close() {
        closing = true;
        for (WorkerConnection c : connections) {
            if (c.status == WorkerConnection.Status.READY || c.status == WorkerConnection.Status.CONNECTED) {
                c.status = WorkerConnection.Status.DRAINING;
            }
            c.send(GatewayMessageType.GATEWAY_CLOSING, (com.google.protobuf.MessageLite) null);
        }
        requests.awaitIdle(settings.drain());
        for (WorkerConnection c : connections) {
            c.close(WorkerDisconnectReason.GATEWAY_DRAINING, null);
        }
        requests.failAll("the devserver is shutting down");
        timer.shutdownNow();
        undertow.stop();
    }
}
