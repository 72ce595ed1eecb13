package dev.loomstep.devserver;

import com.google.protobuf.ByteString;
import dev.loomstep.connect.protocol.AppConfiguration;
import dev.loomstep.connect.protocol.AuthData;
import dev.loomstep.connect.protocol.ConnectMessage;
import dev.loomstep.connect.protocol.GatewayMessageType;
import dev.loomstep.connect.protocol.StartRequest;
import dev.loomstep.connect.protocol.StartResponse;
import dev.loomstep.connect.protocol.WorkerConnectRequestData;
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

    /** One function, {@code raw-go} on {@code raw/go}, as a worker's WORKER_CONNECT carries it. */
    static final String FUNCTIONS = """
            [{"id": "raw-go", "name": "go", "triggers": [{"event": "raw/go"}],
              "steps": {"step": {"id": "step", "name": "step", "runtime": {"type": "ws", "url": "wss://connect?fnId=raw-go&stepId=step"}}}}]""";

    /** A WORKER_CONNECT for instance {@code raw-1} (at most 3 requests at once) with this session's tokens. */
    WorkerConnectRequestData workerConnect(String sessionToken, String appName, String functions) {
        return workerConnect(sessionToken, appName, functions, 3);
    }

    WorkerConnectRequestData workerConnect(String sessionToken, String appName, String functions, long maxConcurrency) {
        return WorkerConnectRequestData.newBuilder()
                .setConnectionId(start.getConnectionId())
                .setInstanceId("raw-1")
                .setAuthData(AuthData.newBuilder().setSessionToken(sessionToken).setSyncToken(start.getSyncToken()))
                .setCapabilities(ByteString.copyFromUtf8("{\"connect\":\"v1\"}"))
                .addApps(AppConfiguration.newBuilder().setAppName(appName).setFunctions(ByteString.copyFromUtf8(functions)))
                .setSdkLanguage("raw").setSdkVersion("v0").setFramework("connect")
                .setMaxWorkerConcurrency(maxConcurrency)
                .build();
    }

    /** HELLO, then WORKER_CONNECT of {@code appName} with {@link #FUNCTIONS}, then GATEWAY_CONNECTION_READY. */
    RawConnectSocket handshake(String appName) throws Exception {
        return handshake(appName, 3);
    }

    /** As {@link #handshake(String)}, taking at most {@code maxConcurrency} requests at once. */
    RawConnectSocket handshake(String appName, long maxConcurrency) throws Exception {
        awaitFrames(1);
        send(GatewayMessageType.WORKER_CONNECT, workerConnect(start.getSessionToken(), appName, FUNCTIONS, maxConcurrency));
        if (awaitFrames(2).get(1).getKind() != GatewayMessageType.GATEWAY_CONNECTION_READY) {
            throw new AssertionError("no GATEWAY_CONNECTION_READY: " + frames);
        }
        return this;
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

    /** The {@code n}th frame (1-based) of this kind the gateway sent, waiting for it. */
    ConnectMessage awaitFrame(GatewayMessageType kind, int n) {
        return Api.await(() -> frames.stream().filter(f -> f.getKind() == kind).toList(), f -> f.size() >= n,
                n + " " + kind + " frame(s)").get(n - 1);
    }

    /** How many frames of this kind the gateway has sent so far. */
    long count(GatewayMessageType kind) {
        return frames.stream().filter(f -> f.getKind() == kind).count();
    }

    Close awaitClose() throws Exception {
        return closed.get(15, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        ws.abort();
    }
}
