package dev.loomstep.devserver;

import dev.loomstep.connect.protocol.ConnectMessage;
import dev.loomstep.connect.protocol.GatewayMessageType;
import dev.loomstep.connect.protocol.StartRequest;
import dev.loomstep.connect.protocol.StartResponse;
import dev.loomstep.devserver.connect.ConnectGateway;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/** A hand-driven Connect client (JDK WebSocket): for frames no real worker sends. */
final class RawConnectSocket implements AutoCloseable {
    record Close(int code, String reason) {}

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    final StartResponse start;
    private final WebSocket ws;
    private final List<ConnectMessage> frames = new CopyOnWriteArrayList<>();
    private final CompletableFuture<Close> closed = new CompletableFuture<>();

    private RawConnectSocket(StartResponse start, WebSocket.Builder builder) throws Exception {
        this.start = start;
        this.ws = builder.subprotocols(ConnectGateway.SUBPROTOCOL).buildAsync(URI.create(start.getGatewayEndpoint()), new WebSocket.Listener() {
            private java.io.ByteArrayOutputStream partial = new java.io.ByteArrayOutputStream();

            @Override
            public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
                byte[] b = new byte[data.remaining()];
                data.get(b);
                partial.writeBytes(b);
                if (last) {
                    try {
                        frames.add(ConnectMessage.parseFrom(partial.toByteArray()));
                    } catch (Exception e) {
                        closed.completeExceptionally(e);
                    }
                    partial = new java.io.ByteArrayOutputStream();
                }
                webSocket.request(1);
                return null;
            }

            @Override
            public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
                closed.complete(new Close(statusCode, reason));
                return null;
            }

            @Override
            public void onError(WebSocket webSocket, Throwable error) {
                closed.completeExceptionally(error);
            }
        }).get(10, TimeUnit.SECONDS);
    }

    /** POSTs /v0/connect/start to the devserver and opens the socket it names. */
    static RawConnectSocket open(DevServer dev) throws Exception {
        HttpResponse<byte[]> r = HTTP.send(HttpRequest.newBuilder(URI.create(dev.url() + "/v0/connect/start"))
                .header("Content-Type", "application/protobuf")
                .POST(HttpRequest.BodyPublishers.ofByteArray(StartRequest.getDefaultInstance().toByteArray())).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() != 200) {
            throw new AssertionError("start answered " + r.statusCode() + ": " + new String(r.body()));
        }
        return new RawConnectSocket(StartResponse.parseFrom(r.body()), HTTP.newWebSocketBuilder());
    }

    void sendBinary(byte[] frame) throws Exception {
        ws.sendBinary(ByteBuffer.wrap(frame), true).get(10, TimeUnit.SECONDS);
    }

    void send(GatewayMessageType kind, com.google.protobuf.MessageLite payload) throws Exception {
        sendBinary(ConnectMessage.newBuilder().setKind(kind).setPayload(payload.toByteString()).build().toByteArray());
    }

    List<ConnectMessage> awaitFrames(int n) {
        return Api.await(() -> List.copyOf(frames), f -> f.size() >= n, n + " frame(s) from the gateway");
    }

    Close awaitClose() throws Exception {
        return closed.get(15, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        ws.abort();
    }
}
