package dev.loomstep.devserver;

import dev.loomstep.connect.protocol.ConnectMessage;
import dev.loomstep.connect.protocol.GatewayMessageType;
import dev.loomstep.devserver.connect.ConnectGateway;
import io.undertow.Handlers;
import io.undertow.Undertow;
import io.undertow.websockets.WebSocketProtocolHandshakeHandler;
import io.undertow.websockets.core.AbstractReceiveListener;
import io.undertow.websockets.core.BufferedBinaryMessage;
import io.undertow.websockets.core.CloseMessage;
import io.undertow.websockets.core.WebSocketChannel;
import io.undertow.websockets.core.WebSockets;
import io.undertow.websockets.core.protocol.version13.Hybi13Handshake;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A WebSocket proxy between Connect workers and a devserver's gateway that records every frame both
 * ways, decoded, in the order it passed. Workers are pointed at it with their gateway URL override (JS:
 * {@code INNGEST_CONNECT_GATEWAY_URL}, Loomstep: {@code gatewayUrl(URI)}); the start call still goes
 * to the devserver, and the frames pass through unchanged.
 */
final class RecordingConnectProxy implements AutoCloseable {
    /** One frame: from the worker ({@code fromWorker}) or from the gateway, on the proxy's n-th socket. */
    record Frame(int socket, boolean fromWorker, ConnectMessage message) {
        GatewayMessageType kind() {
            return message.getKind();
        }
    }

    /** A close frame: from the worker or from the gateway, with its code and reason. */
    record Close(int socket, boolean fromWorker, int code, String reason) {}

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private final URI gateway;
    private final Undertow undertow;
    private final List<Frame> frames = new CopyOnWriteArrayList<>();
    private final List<Close> closes = new CopyOnWriteArrayList<>();
    private final java.util.concurrent.atomic.AtomicInteger sockets = new java.util.concurrent.atomic.AtomicInteger();

    RecordingConnectProxy(DevServer dev) {
        this.gateway = URI.create("ws://127.0.0.1:" + dev.connectPort() + "/v0/connect");
        var ws = new WebSocketProtocolHandshakeHandler(List.of(new Hybi13Handshake(Set.of(ConnectGateway.SUBPROTOCOL), false)),
                (io.undertow.websockets.WebSocketConnectionCallback) (exchange, channel) -> accept(channel));
        this.undertow = Undertow.builder().addHttpListener(0, "127.0.0.1").setIoThreads(1).setWorkerThreads(2)
                .setHandler(Handlers.path().addExactPath("/v0/connect", ws)).build();
        undertow.start();
    }

    /** The URL workers dial instead of the gateway's. */
    URI url() {
        int port = ((InetSocketAddress) undertow.getListenerInfo().get(0).getAddress()).getPort();
        return URI.create("ws://127.0.0.1:" + port + "/v0/connect");
    }

    List<Frame> frames() {
        return List.copyOf(frames);
    }

    List<Close> closes() {
        return List.copyOf(closes);
    }

    private void accept(WebSocketChannel worker) {
        int socket = sockets.incrementAndGet();
        // Never block Undertow's IO thread on the upstream handshake: the worker's frames queue behind it.
        CompletableFuture<WebSocket> upstream = HTTP.newWebSocketBuilder().subprotocols(ConnectGateway.SUBPROTOCOL)
                .buildAsync(gateway, new Downstream(socket, worker));
        upstream.whenComplete((ws, e) -> {
            if (e != null) {
                WebSockets.sendClose(new CloseMessage(1011, "the proxy cannot reach the gateway"), worker, null);
            }
        });
        var sending = new Object() {
            CompletableFuture<WebSocket> last = upstream;
        };
        worker.getReceiveSetter().set(new AbstractReceiveListener() {
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
                record(socket, true, bytes);
                synchronized (sending) { // the JDK socket takes one send at a time
                    sending.last = sending.last.thenCompose(w -> w.sendBinary(ByteBuffer.wrap(bytes), true));
                }
            }

            @Override
            protected void onCloseMessage(CloseMessage cm, WebSocketChannel ch) {
                closes.add(new Close(socket, true, cm.getCode(), cm.getReason()));
                synchronized (sending) {
                    sending.last = sending.last.thenCompose(w -> w.sendClose(cm.getCode(), cm.getReason()));
                }
            }
        });
        worker.addCloseTask(ch -> upstream.thenAccept(WebSocket::abort));
        worker.resumeReceives();
    }

    private void record(int socket, boolean fromWorker, byte[] bytes) {
        try {
            frames.add(new Frame(socket, fromWorker, ConnectMessage.parseFrom(bytes)));
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new AssertionError("a frame that is not a ConnectMessage passed the proxy", e);
        }
    }

    /** The gateway's side of one proxied socket: records its frames and passes them to the worker. */
    private final class Downstream implements WebSocket.Listener {
        private final int socket;
        private final WebSocketChannel worker;
        private ByteArrayOutputStream partial = new ByteArrayOutputStream();

        Downstream(int socket, WebSocketChannel worker) {
            this.socket = socket;
            this.worker = worker;
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
            byte[] b = new byte[data.remaining()];
            data.get(b);
            partial.writeBytes(b);
            if (last) {
                byte[] frame = partial.toByteArray();
                partial = new ByteArrayOutputStream();
                record(socket, false, frame);
                WebSockets.sendBinary(ByteBuffer.wrap(frame), worker, null); // queued in order on the worker's channel
            }
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
            closes.add(new Close(socket, false, statusCode, reason));
            WebSockets.sendClose(new CloseMessage(statusCode, reason), worker, null);
            return null;
        }

        @Override
        public void onError(WebSocket ws, Throwable error) {
            try {
                worker.close();
            } catch (java.io.IOException ignored) {
                // already gone
            }
        }
    }

    @Override
    public void close() {
        undertow.stop();
    }
}
