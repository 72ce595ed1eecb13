package dev.loomstep.connect;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import dev.loomstep.connect.protocol.ConnectMessage;
import dev.loomstep.connect.protocol.FlushResponse;
import dev.loomstep.connect.protocol.GatewayConnectionReadyData;
import dev.loomstep.connect.protocol.GatewayMessageType;
import dev.loomstep.connect.protocol.SDKResponse;
import dev.loomstep.connect.protocol.StartRequest;
import dev.loomstep.connect.protocol.StartResponse;
import dev.loomstep.connect.protocol.WorkerReplyAckData;
import dev.loomstep.connect.protocol.WorkerRequestExtendLeaseAckData;
import dev.loomstep.connect.protocol.WorkerRequestExtendLeaseData;
import io.undertow.Handlers;
import io.undertow.Undertow;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.websockets.WebSocketProtocolHandshakeHandler;
import io.undertow.websockets.core.AbstractReceiveListener;
import io.undertow.websockets.core.BufferedBinaryMessage;
import io.undertow.websockets.core.CloseMessage;
import io.undertow.websockets.core.WebSocketChannel;
import io.undertow.websockets.core.WebSockets;
import io.undertow.websockets.core.protocol.version13.Hybi13Handshake;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * A small Inngest gateway on loopback for the worker's tests: the API's start and flush calls and the
 * WebSocket, speaking the protocol as the Inngest gateway does (HELLO on open, CONNECTION_READY after
 * WORKER_CONNECT, heartbeat answers, reply and lease acks), with switches to misbehave and a record of
 * everything the worker sent.
 */
final class FakeGateway implements AutoCloseable {
    static final Duration WAIT = Duration.ofSeconds(15);

    /** What one worker connection sent, and how it ended. */
    static final class Session {
        final int number;
        final String connectionId;
        final WebSocketChannel channel;
        final String subprotocol;
        final LinkedBlockingQueue<ConnectMessage> received = new LinkedBlockingQueue<>();
        final List<ConnectMessage> all = new CopyOnWriteArrayList<>();
        volatile CloseMessage closedBy;

        Session(int number, String connectionId, WebSocketChannel channel, String subprotocol) {
            this.number = number;
            this.connectionId = connectionId;
            this.channel = channel;
            this.subprotocol = subprotocol;
        }

        /** The next message of this kind the worker sends (others before it are skipped, and kept in {@link #all}). */
        ConnectMessage next(GatewayMessageType kind) throws InterruptedException {
            return next(m -> m.getKind() == kind, kind.toString());
        }

        ConnectMessage next(Predicate<ConnectMessage> test, String what) throws InterruptedException {
            long end = System.nanoTime() + WAIT.toNanos();
            while (true) {
                long left = end - System.nanoTime();
                ConnectMessage m = left <= 0 ? null : received.poll(left, TimeUnit.NANOSECONDS);
                if (m == null) {
                    throw new AssertionError("session " + number + ": no " + what + " within " + WAIT.toSeconds() + " s; got " + kinds());
                }
                if (test.test(m)) {
                    return m;
                }
            }
        }

        List<GatewayMessageType> kinds() {
            return all.stream().map(ConnectMessage::getKind).toList();
        }

        void send(GatewayMessageType kind, MessageLite payload) {
            sendRaw(ConnectMessage.newBuilder().setKind(kind).setPayload(payload == null ? ByteString.EMPTY : payload.toByteString())
                    .build().toByteArray());
        }

        void sendRaw(byte[] bytes) {
            WebSockets.sendBinary(ByteBuffer.wrap(bytes), channel, null);
        }

        /** A proper close frame, as a gateway that shuts down sends. */
        void close(int code, String reason) throws IOException {
            WebSockets.sendCloseBlocking(code, reason, channel);
            channel.close();
        }

        /** The TCP connection dies: no close frame. */
        void kill() throws IOException {
            channel.close();
        }

        /** Waits until the worker closed this session, and returns its close frame. */
        CloseMessage awaitClosedByWorker() throws InterruptedException {
            long end = System.nanoTime() + WAIT.toNanos();
            while (closedBy == null && System.nanoTime() < end) {
                Thread.sleep(10);
            }
            if (closedBy == null) {
                throw new AssertionError("session " + number + " was not closed by the worker; it sent " + kinds());
            }
            return closedBy;
        }
    }

    /** A start call as the API saw it. */
    record Start(StartRequest request, Map<String, String> headers) {}

    final List<Start> starts = new CopyOnWriteArrayList<>();
    final LinkedBlockingQueue<Session> sessions = new LinkedBlockingQueue<>();
    final List<Session> allSessions = new CopyOnWriteArrayList<>();
    final LinkedBlockingQueue<SDKResponse> flushed = new LinkedBlockingQueue<>();
    final List<Map<String, String>> flushHeaders = new CopyOnWriteArrayList<>();

    /** Answer the start call with this status instead of 200 (401, 429, 503 ...); 0 for 200. */
    volatile int startStatus;
    /** Answer flushes with this status instead of 200; 0 for 200. */
    volatile int flushStatus;
    volatile boolean answerHeartbeats = true;
    volatile boolean ackReplies = true;
    volatile boolean renewLeases = true;
    /** Sent in the same breath as CONNECTION_READY, before the worker could say WORKER_READY; null for none. */
    volatile dev.loomstep.connect.protocol.GatewayExecutorRequestData requestWithReady;
    volatile GatewayConnectionReadyData ready = GatewayConnectionReadyData.newBuilder()
            .setHeartbeatInterval("10s").setExtendLeaseInterval("5s").build();

    private final AtomicInteger connections = new AtomicInteger();
    private final Set<String> groups = ConcurrentHashMap.newKeySet();
    private final Undertow server;
    private final int port;

    FakeGateway() {
        var ws = new WebSocketProtocolHandshakeHandler(List.<io.undertow.websockets.core.protocol.Handshake>of(new Hybi13Handshake(Set.of("v0.connect.inngest.com"), false)),
                (io.undertow.websockets.WebSocketConnectionCallback) (exchange, channel) -> open(exchange.getQueryString(), channel));
        var routes = Handlers.path()
                .addExactPath("/v0/connect/start", ex -> blocking(ex, this::start))
                .addExactPath("/v0/connect/flush", ex -> blocking(ex, this::flush))
                .addExactPath("/v0/connect", ws);
        server = Undertow.builder().addHttpListener(0, "127.0.0.1").setHandler(routes).build();
        server.start();
        port = ((InetSocketAddress) server.getListenerInfo().get(0).getAddress()).getPort();
    }

    String apiOrigin() {
        return "http://127.0.0.1:" + port;
    }

    String gatewayUrl() {
        return "ws://127.0.0.1:" + port + "/v0/connect";
    }

    Session nextSession() throws InterruptedException {
        Session s = sessions.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
        if (s == null) {
            throw new AssertionError("no worker connected within " + WAIT.toSeconds() + " s (start calls: " + starts.size() + ")");
        }
        return s;
    }

    /** The next session, after the worker's WORKER_CONNECT and the gateway's CONNECTION_READY. */
    Session nextReadySession() throws InterruptedException {
        Session s = nextSession();
        s.next(GatewayMessageType.WORKER_READY);
        return s;
    }

    SDKResponse nextFlush() throws InterruptedException {
        SDKResponse r = flushed.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
        if (r == null) {
            throw new AssertionError("nothing was flushed within " + WAIT.toSeconds() + " s");
        }
        return r;
    }

    private interface Handler {
        void handle(HttpServerExchange ex, byte[] body) throws Exception;
    }

    private static void blocking(HttpServerExchange ex, Handler h) {
        ex.getRequestReceiver().receiveFullBytes((e, body) -> e.dispatch(() -> {
            try {
                h.handle(e, body);
            } catch (Exception failure) {
                e.setStatusCode(500);
                e.getResponseSender().send(String.valueOf(failure));
            }
        }));
    }

    private static Map<String, String> headers(HttpServerExchange ex) {
        var m = new java.util.TreeMap<String, String>(String.CASE_INSENSITIVE_ORDER);
        ex.getRequestHeaders().forEach(h -> m.put(h.getHeaderName().toString(), h.getFirst()));
        return m;
    }

    private void start(HttpServerExchange ex, byte[] body) throws InvalidProtocolBufferException {
        starts.add(new Start(StartRequest.parseFrom(body), headers(ex)));
        int status = startStatus;
        if (status != 0) {
            ex.setStatusCode(status);
            ex.getResponseSender().send("{\"error\":\"refused by the test (" + status + ")\"}");
            return;
        }
        int n = connections.incrementAndGet();
        String group = "group-" + (char) ('a' + (n - 1) % 26);
        groups.add(group);
        var resp = StartResponse.newBuilder().setConnectionId("conn-" + n).setGatewayEndpoint(gatewayUrl() + "?n=" + n)
                .setGatewayGroup(group).setSessionToken("session-" + n).setSyncToken("sync-" + n).build();
        ex.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/protobuf");
        ex.getResponseSender().send(ByteBuffer.wrap(resp.toByteArray()));
    }

    private void flush(HttpServerExchange ex, byte[] body) throws InvalidProtocolBufferException {
        flushHeaders.add(headers(ex));
        int status = flushStatus;
        if (status != 0) {
            ex.setStatusCode(status);
            ex.getResponseSender().send("refused by the test");
            return;
        }
        SDKResponse r = SDKResponse.parseFrom(body);
        flushed.add(r);
        ex.getResponseSender().send(ByteBuffer.wrap(FlushResponse.newBuilder().setRequestId(r.getRequestId()).build().toByteArray()));
    }

    private void open(String query, WebSocketChannel channel) {
        int n = query != null && query.startsWith("n=") ? Integer.parseInt(query.substring(2)) : connections.incrementAndGet();
        var session = new Session(n, "conn-" + n, channel, channel.getSubProtocol());
        allSessions.add(session);
        channel.getReceiveSetter().set(new AbstractReceiveListener() {
            @Override
            protected void onFullBinaryMessage(WebSocketChannel ch, BufferedBinaryMessage message) throws IOException {
                var data = message.getData();
                try {
                    byte[] bytes = toBytes(data.getResource());
                    onMessage(session, ConnectMessage.parseFrom(bytes));
                } finally {
                    data.free();
                }
            }

            @Override
            protected void onCloseMessage(CloseMessage cm, WebSocketChannel ch) {
                session.closedBy = cm;
            }
        });
        channel.resumeReceives();
        sessions.add(session);
        session.send(GatewayMessageType.GATEWAY_HELLO, null);
    }

    private void onMessage(Session s, ConnectMessage m) throws InvalidProtocolBufferException {
        s.all.add(m);
        s.received.add(m);
        switch (m.getKind()) {
            case WORKER_CONNECT -> {
                s.send(GatewayMessageType.GATEWAY_CONNECTION_READY, ready);
                var early = requestWithReady;
                if (early != null) {
                    s.send(GatewayMessageType.GATEWAY_EXECUTOR_REQUEST, early);
                }
            }
            case WORKER_HEARTBEAT -> {
                if (answerHeartbeats) {
                    s.send(GatewayMessageType.GATEWAY_HEARTBEAT, null);
                }
            }
            case WORKER_REPLY -> {
                if (ackReplies) {
                    s.send(GatewayMessageType.WORKER_REPLY_ACK, WorkerReplyAckData.newBuilder()
                            .setRequestId(SDKResponse.parseFrom(m.getPayload()).getRequestId()).build());
                }
            }
            case WORKER_REQUEST_EXTEND_LEASE -> {
                var ext = WorkerRequestExtendLeaseData.parseFrom(m.getPayload());
                var ack = WorkerRequestExtendLeaseAckData.newBuilder().setRequestId(ext.getRequestId()).setAccountId(ext.getAccountId())
                        .setEnvId(ext.getEnvId()).setAppId(ext.getAppId()).setFunctionSlug(ext.getFunctionSlug());
                if (renewLeases) {
                    ack.setNewLeaseId(ext.getLeaseId() + "+");
                }
                s.send(GatewayMessageType.WORKER_REQUEST_EXTEND_LEASE_ACK, ack.build());
            }
            default -> { }
        }
    }

    private static byte[] toBytes(ByteBuffer[] buffers) {
        int size = 0;
        for (ByteBuffer b : buffers) {
            size += b.remaining();
        }
        byte[] out = new byte[size];
        int at = 0;
        for (ByteBuffer b : buffers) {
            int n = b.remaining();
            b.get(out, at, n);
            at += n;
        }
        return out;
    }

    @Override
    public void close() {
        for (Session s : allSessions) {
            try {
                s.channel.close();
            } catch (IOException ignored) {
                // already gone
            }
        }
        server.stop();
    }
}
