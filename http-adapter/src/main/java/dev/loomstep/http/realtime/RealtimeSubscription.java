package dev.loomstep.http.realtime;

import dev.loomstep.Loomstep;
import dev.loomstep.protocol.Json;
import dev.loomstep.realtime.RealtimeMessage;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A realtime subscriber for server code: the messages of one channel's topics, as an {@link Iterator} that
 * blocks until the next one arrives (run it on a virtual thread) and ends when the connection closes. It
 * connects over WebSocket to the Inngest API's {@code /v1/realtime/connect?token=…} with a subscription
 * token, which scopes it to exactly the channel and topics the token names.
 *
 * <pre>{@code
 * try (var sub = RealtimeSubscription.subscribe(app, "orders/" + orderId, List.of("status"))) {
 *     for (RealtimeMessage m : sub) {          // or sub.poll(Duration.ofSeconds(5))
 *         Status s = m.dataAs(Status.class);
 *     }
 * }
 * }</pre>
 *
 * Messages are read from the socket only as fast as they are taken from here (at most {@value #PREFETCH}
 * are held), so a slow reader slows its own connection, and the server decides what happens then (the
 * Loomstep devserver closes a subscriber that falls far behind).
 */
public final class RealtimeSubscription implements Iterator<RealtimeMessage>, Iterable<RealtimeMessage>, AutoCloseable {
    /** How many messages are read ahead of the consumer. */
    static final int PREFETCH = 64;
    private static final Object END = new Object();

    private final LinkedBlockingQueue<Object> queue = new LinkedBlockingQueue<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final WebSocket socket;
    private Object head;
    private volatile String endReason = "open";

    private RealtimeSubscription(URI uri, Duration connectTimeout) {
        HttpClient client = HttpClient.newBuilder().connectTimeout(connectTimeout).build();
        try {
            this.socket = client.newWebSocketBuilder().connectTimeout(connectTimeout)
                    .buildAsync(uri, new Listener()).get(connectTimeout.toMillis() + 1_000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException | CompletionException e) {
            throw refused(uri, e.getCause() == null ? e : e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("the realtime API at " + origin(uri) + " did not accept the subscription within " + connectTimeout, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while connecting to the realtime API at " + origin(uri), e);
        }
    }

    /**
     * Connects to {@code apiOrigin}'s realtime API (the same origin as the SDK's API, such as the devserver's
     * {@code http://127.0.0.1:8288}) with a token from {@link Loomstep#subscriptionToken}.
     *
     * @throws IllegalStateException when the API refuses the token (expired, or not its own) or cannot be reached
     */
    public static RealtimeSubscription connect(URI apiOrigin, String token) {
        if (token == null || token.isBlank()) {
            throw new IllegalArgumentException("a realtime subscription needs a token; get one with Loomstep.subscriptionToken(channel, topics)");
        }
        String base = apiOrigin.toString().replaceFirst("/+$", "").replaceFirst("^http", "ws");
        return new RealtimeSubscription(URI.create(base + "/v1/realtime/connect?token=" + URLEncoder.encode(token, StandardCharsets.UTF_8)),
                Duration.ofSeconds(10));
    }

    /** A token for {@code topics} of {@code channel} from {@code app}'s API, then {@link #connect} to the same API. */
    public static RealtimeSubscription subscribe(Loomstep app, String channel, List<String> topics) {
        String token = app.subscriptionToken(channel, topics);
        return connect(URI.create(app.config().apiOrigin()), token);
    }

    /** Waits for the next message, without limit; false when the subscription has ended. */
    @Override
    public boolean hasNext() {
        if (head == null) {
            try {
                head = queue.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for a realtime message", e);
            }
        }
        return head != END; // the end stays in head: every later call answers false at once
    }

    @Override
    public RealtimeMessage next() {
        if (!hasNext()) {
            throw new NoSuchElementException("the realtime subscription has ended: " + endReason);
        }
        RealtimeMessage m = (RealtimeMessage) head;
        head = null;
        socket.request(1);
        return m;
    }

    /** The next message, or empty when none arrives within {@code timeout} or the subscription has ended. */
    public Optional<RealtimeMessage> poll(Duration timeout) {
        if (head == null) {
            try {
                head = queue.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Optional.empty();
            }
        }
        if (head == null || head == END) {
            return Optional.empty();
        }
        return Optional.of(next());
    }

    @Override
    public Iterator<RealtimeMessage> iterator() {
        return this;
    }

    /** Why the subscription ended ("open" while it has not): the server's close reason, or the error. */
    public String endReason() {
        return endReason;
    }

    /** Whether the connection is closed (by either side). */
    public boolean isClosed() {
        return closed.get();
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            endReason = "closed by this subscriber";
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "unsubscribed").exceptionally(e -> null);
            socket.abort();
            queue.offer(END);
        }
    }

    private final class Listener implements WebSocket.Listener {
        private final StringBuilder partial = new StringBuilder();

        @Override
        public void onOpen(WebSocket ws) {
            ws.request(PREFETCH);
        }

        @Override
        public java.util.concurrent.CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            partial.append(data);
            if (!last) {
                ws.request(1);
                return null;
            }
            String frame = partial.toString();
            partial.setLength(0);
            try {
                queue.offer(RealtimeMessage.fromWire(Json.mapper().readTree(frame)));
            } catch (IOException | IllegalArgumentException e) {
                ws.request(1); // not a message: nothing was queued, so nothing will ask for the next frame
            }
            return null;
        }

        @Override
        public java.util.concurrent.CompletionStage<?> onClose(WebSocket ws, int status, String reason) {
            end("closed by the server (" + status + (reason == null || reason.isEmpty() ? "" : ": " + reason) + ")");
            return null;
        }

        @Override
        public void onError(WebSocket ws, Throwable error) {
            end("failed: " + error);
        }

        private void end(String why) {
            if (closed.compareAndSet(false, true)) {
                endReason = why;
            }
            queue.offer(END);
        }
    }

    private static IllegalStateException refused(URI uri, Throwable cause) {
        if (cause instanceof WebSocketHandshakeException h) {
            int status = h.getResponse().statusCode();
            Object body = h.getResponse().body();
            String detail = body instanceof String s && !s.isBlank() ? ": " + s.strip() : "";
            return new IllegalStateException("the realtime API at " + origin(uri) + " refused the subscription with " + status + detail
                    + (status == 401 ? " (the token is expired, or was not issued by this server; get a fresh one with Loomstep.subscriptionToken)" : ""),
                    cause);
        }
        return new IllegalStateException("cannot connect to the realtime API at " + origin(uri) + ": " + cause, cause);
    }

    private static String origin(URI uri) {
        return uri.getScheme().replaceFirst("^ws", "http") + "://" + uri.getAuthority();
    }
}
