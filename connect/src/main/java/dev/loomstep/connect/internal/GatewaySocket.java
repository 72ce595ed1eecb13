package dev.loomstep.connect.internal;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.loomstep.connect.protocol.ConnectMessage;
import dev.loomstep.connect.protocol.GatewayMessageType;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One WebSocket to a gateway (subprotocol {@code v0.connect.inngest.com}, binary frames, one
 * {@link ConnectMessage} each). Sends are serialised (the JDK socket takes one at a time); every
 * incoming message, close and error goes to the {@link Events} in arrival order.
 */
public final class GatewaySocket {
    public static final String SUBPROTOCOL = "v0.connect.inngest.com";
    /** The close code for reasons other than a normal goodbye, as the JS worker sends. */
    public static final int CLOSE_UNEXPECTED = 4001;
    private static final Duration SEND_TIMEOUT = Duration.ofSeconds(10);

    /** What the socket reports; called on the socket's thread, one at a time. */
    public interface Events {
        void message(GatewaySocket socket, ConnectMessage message);

        /** A frame that is not a ConnectMessage, or a text frame. */
        void malformed(GatewaySocket socket, String problem);

        void closed(GatewaySocket socket, int code, String reason);

        void failed(GatewaySocket socket, Throwable error);
    }

    private final ReentrantLock sendLock = new ReentrantLock();
    private volatile WebSocket ws;
    private volatile Events events;
    private volatile boolean closed;

    private GatewaySocket() {}

    /** Opens the socket; its events go to {@code events} (which may be replaced later). */
    public static CompletableFuture<GatewaySocket> open(HttpClient http, URI uri, Duration timeout, Events events) {
        var socket = new GatewaySocket();
        socket.events = events;
        return http.newWebSocketBuilder().subprotocols(SUBPROTOCOL).connectTimeout(timeout)
                .buildAsync(uri, socket.new Listener())
                .thenApply(ws -> {
                    socket.ws = ws;
                    return socket;
                });
    }

    public void events(Events events) {
        this.events = events;
    }

    public boolean isOpen() {
        WebSocket w = ws;
        return !closed && w != null && !w.isOutputClosed() && !w.isInputClosed();
    }

    /** Sends one message; false (never an exception) when the socket is gone. */
    public boolean send(GatewayMessageType kind, com.google.protobuf.MessageLite payload) {
        return send(ConnectMessage.newBuilder().setKind(kind)
                .setPayload(payload == null ? ByteString.EMPTY : payload.toByteString()).build());
    }

    public boolean send(ConnectMessage message) {
        WebSocket w = ws;
        if (w == null || closed) {
            return false;
        }
        Throwable failure = null;
        sendLock.lock();
        try {
            if (w.isOutputClosed() || w.isInputClosed()) {
                failure = new java.io.IOException("the socket is closed");
            } else {
                w.sendBinary(ByteBuffer.wrap(message.toByteArray()), true).get(SEND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                return true;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (Exception e) {
            failure = e instanceof java.util.concurrent.ExecutionException && e.getCause() != null ? e.getCause() : e;
        } finally {
            sendLock.unlock();
        }
        // A socket that cannot be written to is dead even when the JDK has not reported its close yet.
        if (!closed) {
            closed = true;
            events.failed(this, failure);
        }
        return false;
    }

    /** Closes with a code and reason (a WorkerDisconnectReason's name); nothing more is reported. */
    public void close(int code, String reason) {
        if (closed) {
            return;
        }
        closed = true;
        WebSocket w = ws;
        if (w == null) {
            return;
        }
        sendLock.lock();
        try {
            w.sendClose(code, reason).get(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception ignored) {
            // the peer is gone already; the abort below is all that is left to do
        } finally {
            sendLock.unlock();
        }
        w.abort();
    }

    /** Drops the TCP connection without a close frame. */
    public void abort() {
        closed = true;
        WebSocket w = ws;
        if (w != null) {
            w.abort();
        }
    }

    private final class Listener implements WebSocket.Listener {
        private final ByteArrayOutputStream partial = new ByteArrayOutputStream();

        @Override
        public void onOpen(WebSocket webSocket) {
            ws = webSocket;
            // Unbounded demand: the JDK still calls one method at a time, and a close is never held back
            // waiting for a request(n) that an exception in a handler skipped.
            webSocket.request(Long.MAX_VALUE);
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
            byte[] chunk = new byte[data.remaining()];
            data.get(chunk);
            partial.writeBytes(chunk);
            if (last) {
                byte[] frame = partial.toByteArray();
                partial.reset();
                if (!closed) {
                    ConnectMessage m;
                    try {
                        m = ConnectMessage.parseFrom(frame);
                    } catch (InvalidProtocolBufferException e) {
                        events.malformed(GatewaySocket.this, "a " + frame.length + "-byte frame that is not a ConnectMessage ("
                                + e.getMessage() + ")");
                        return null;
                    }
                    if (m.getKindValue() < 0 || GatewayMessageType.forNumber(m.getKindValue()) == null) {
                        events.malformed(GatewaySocket.this, "a message of unknown kind " + m.getKindValue());
                    } else {
                        try {
                            events.message(GatewaySocket.this, m);
                        } catch (RuntimeException e) {
                            events.failed(GatewaySocket.this, e);
                        }
                    }
                }
            }
            return null;
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            if (last && !closed) {
                events.malformed(GatewaySocket.this, "a text frame (the protocol sends binary frames only)");
            }
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            if (!closed) {
                closed = true;
                events.closed(GatewaySocket.this, statusCode, reason);
            }
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            if (!closed) {
                closed = true;
                events.failed(GatewaySocket.this, error);
            }
        }
    }
}
