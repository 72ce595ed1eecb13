package dev.loomstep.connect.internal;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Timestamp;
import dev.loomstep.connect.protocol.AuthData;
import dev.loomstep.connect.protocol.ConnectMessage;
import dev.loomstep.connect.protocol.GatewayConnectionReadyData;
import dev.loomstep.connect.protocol.GatewayMessageType;
import dev.loomstep.connect.protocol.StartResponse;
import dev.loomstep.connect.protocol.WorkerConnectRequestData;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One connection attempt, as the JS worker makes it: the start call, the socket, then GATEWAY_HELLO →
 * WORKER_CONNECT → GATEWAY_CONNECTION_READY within the handshake timeout. Anything else in that order
 * fails the attempt (and the caller tries another gateway).
 */
public final class Handshake {
    private static final Duration DEFAULT_HEARTBEAT = Duration.ofSeconds(10);
    private static final Duration DEFAULT_EXTEND_LEASE = Duration.ofSeconds(5);

    /** An established connection and what the gateway said in its CONNECTION_READY. */
    public record Established(GatewaySocket socket, URI endpoint, String connectionId, String gatewayGroup, Duration heartbeatInterval,
            Duration extendLeaseInterval, Duration statusInterval, BlockingQueue<Object> inbox) {

        /**
         * Hands the socket's events to {@code events}, first replaying what arrived after READY (messages,
         * or the socket's loss) and was queued here.
         */
        public void handOver(GatewaySocket.Events events) {
            socket.events(events);
            for (Object o; (o = inbox.poll()) != null; ) {
                if (o instanceof ConnectMessage m) {
                    events.message(socket, m);
                } else if (o instanceof IOException e) {
                    events.failed(socket, e);
                }
            }
        }
    }

    /** The attempt failed; {@code gatewayGroup} is the group to avoid next time, or null. */
    /** The gateway answered the app's functions with SYNC_FAILED: connecting again sends the same app. */
    public static final class SyncRefused extends IOException {
        SyncRefused(String message) {
            super(message);
        }
    }

    public static final class Failed extends IOException {
        public final String gatewayGroup;

        Failed(String message, String gatewayGroup) {
            super(message);
            this.gatewayGroup = gatewayGroup;
        }
    }

    private final ApiClient api;
    private final HttpClient http;
    private final WorkerOptions options;
    private final WorkerIdentity identity;

    public Handshake(ApiClient api, HttpClient http, WorkerOptions options, WorkerIdentity identity) {
        this.api = api;
        this.http = http;
        this.options = options;
        this.identity = identity;
    }

    public String instanceId() {
        return identity.instanceId();
    }

    /**
     * @throws ApiClient.AuthRefused on 401, {@link ApiClient.LimitReached} on 429, {@link Failed} (or
     *         another IOException) on anything else that a later attempt may overcome
     */
    public Established establish(Collection<String> excludeGateways) throws IOException, InterruptedException {
        Instant startedAt = Instant.now();
        StartResponse start = api.start(excludeGateways);
        String group = start.getGatewayGroup();
        URI endpoint;
        try {
            endpoint = options.gatewayUrl() != null ? options.gatewayUrl() : URI.create(start.getGatewayEndpoint());
        } catch (IllegalArgumentException e) {
            throw new Failed("the start call answered a gateway endpoint that is not a URL: \"" + start.getGatewayEndpoint() + "\"", group);
        }
        var inbox = new LinkedBlockingQueue<Object>();
        var handshakeEvents = new GatewaySocket.Events() {
            @Override public void message(GatewaySocket s, ConnectMessage m) { inbox.add(m); }
            @Override public void malformed(GatewaySocket s, String problem) { inbox.add(new Failed("malformed frame during the handshake: " + problem, group)); }
            @Override public void closed(GatewaySocket s, int code, String reason) {
                inbox.add(new Failed("the gateway closed the connection during the handshake (" + code + " " + reason + ")", group));
            }
            @Override public void failed(GatewaySocket s, Throwable e) { inbox.add(new Failed("the connection failed during the handshake: " + e, group)); }
        };
        long deadline = System.nanoTime() + options.handshakeTimeout().toNanos();
        GatewaySocket socket;
        try {
            socket = GatewaySocket.open(http, endpoint, options.handshakeTimeout(), handshakeEvents)
                    .get(options.handshakeTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new Failed("cannot open a WebSocket to " + endpoint + ": " + (e.getCause() == null ? e : e.getCause()), group);
        } catch (TimeoutException e) {
            throw new Failed("no WebSocket to " + endpoint + " within " + options.handshakeTimeout().toMillis() + " ms", group);
        }
        try {
            expect(inbox, deadline, GatewayMessageType.GATEWAY_HELLO, start.getConnectionId(), group);
            socket.send(GatewayMessageType.WORKER_CONNECT, connectRequest(start, startedAt));
            ConnectMessage ready = expect(inbox, deadline, GatewayMessageType.GATEWAY_CONNECTION_READY, start.getConnectionId(), group);
            GatewayConnectionReadyData data;
            try {
                data = GatewayConnectionReadyData.parseFrom(ready.getPayload());
            } catch (InvalidProtocolBufferException e) {
                throw new Failed("malformed GATEWAY_CONNECTION_READY: " + e.getMessage(), group);
            }
            return new Established(socket, endpoint, start.getConnectionId(), group,
                    GoDuration.parse(data.getHeartbeatInterval(), DEFAULT_HEARTBEAT),
                    GoDuration.parse(data.getExtendLeaseInterval(), DEFAULT_EXTEND_LEASE),
                    GoDuration.parse(data.getStatusInterval(), Duration.ZERO), inbox);
        } catch (IOException | InterruptedException | RuntimeException e) {
            socket.close(GatewaySocket.CLOSE_UNEXPECTED, "UNEXPECTED");
            throw e;
        }
    }

    private WorkerConnectRequestData connectRequest(StartResponse start, Instant startedAt) {
        var b = WorkerConnectRequestData.newBuilder()
                .setConnectionId(start.getConnectionId())
                .setInstanceId(identity.instanceId())
                .setAuthData(AuthData.newBuilder().setSessionToken(start.getSessionToken()).setSyncToken(start.getSyncToken()))
                .setCapabilities(ByteString.copyFromUtf8(identity.capabilitiesJson()))
                .addApps(identity.app())
                .setWorkerManualReadinessAck(true)
                .setSystemAttributes(identity.systemAttributes())
                .setFramework("connect")
                .setSdkVersion(identity.sdkVersion())
                .setSdkLanguage("java")
                .setStartedAt(Timestamp.newBuilder().setSeconds(startedAt.getEpochSecond()).setNanos(startedAt.getNano()));
        if (identity.env() != null) {
            b.setEnvironment(identity.env());
        }
        if (options.maxConcurrency() != null) {
            b.setMaxWorkerConcurrency(options.maxConcurrency());
        }
        return b.build();
    }

    private static ConnectMessage expect(LinkedBlockingQueue<Object> inbox, long deadline, GatewayMessageType kind,
            String connectionId, String group) throws IOException, InterruptedException {
        long left = deadline - System.nanoTime();
        Object next = left <= 0 ? null : inbox.poll(left, TimeUnit.NANOSECONDS);
        if (next == null) {
            throw new Failed("connection " + connectionId + " timed out waiting for " + kind, group);
        }
        if (next instanceof IOException e) {
            throw e;
        }
        ConnectMessage m = (ConnectMessage) next;
        if (m.getKind() == GatewayMessageType.SYNC_FAILED && kind != GatewayMessageType.SYNC_FAILED) {
            String reason = m.getPayload().toStringUtf8().strip();
            throw new SyncRefused("the gateway refused the app's sync: " + (reason.isEmpty() ? "(no reason given)" : reason));
        }
        if (m.getKind() != kind) {
            throw new Failed("expected " + kind + " from the gateway, got " + m.getKind(), group);
        }
        return m;
    }
}
