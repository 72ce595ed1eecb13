package dev.loomstep.devserver.realtime;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.protocol.Json;
import dev.loomstep.realtime.RealtimeMessage;
import io.undertow.Handlers;
import io.undertow.server.HttpHandler;
import io.undertow.util.AttachmentKey;
import io.undertow.websockets.WebSocketConnectionCallback;
import io.undertow.websockets.WebSocketProtocolHandshakeHandler;
import io.undertow.websockets.core.AbstractReceiveListener;
import io.undertow.websockets.core.BufferedTextMessage;
import io.undertow.websockets.core.CloseMessage;
import io.undertow.websockets.core.WebSocketChannel;
import io.undertow.websockets.core.WebSockets;
import io.undertow.websockets.spi.WebSocketHttpExchange;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /v1/realtime/connect?token=…}: the token is checked before the upgrade (401 with one JSON
 * line when refused), then each message of its topics is one text frame of JSON, with a ping every 15 s.
 * The client may send {@code {"kind": "sub", "data": "<another token>"}} to add that token's topics and
 * {@code {"kind": "unsub", "data": [{channel, name}]}} to drop topics, as Inngest's connection accepts. A
 * virtual thread per connection writes (blocking) to that socket only; the IO threads only read.
 */
final class WebSocketSubscriber {
    private static final Logger LOG = LoggerFactory.getLogger(WebSocketSubscriber.class);
    private static final AttachmentKey<Subscription> SUBSCRIPTION = AttachmentKey.create(Subscription.class);
    /** Close code for a subscriber cut off or a server going away: "try again later". */
    static final int TRY_AGAIN_LATER = 1013;
    /** How long a closed subscription's writer may take to finish before its connection is dropped under it. */
    static final java.time.Duration STUCK_GRACE = java.time.Duration.ofSeconds(2);

    private final Broadcaster broadcaster;
    private final Tokens tokens;
    private final ExecutorService threads;

    WebSocketSubscriber(Broadcaster broadcaster, Tokens tokens, ExecutorService threads) {
        this.broadcaster = broadcaster;
        this.tokens = tokens;
        this.threads = threads;
    }

    HttpHandler handler() {
        WebSocketProtocolHandshakeHandler upgrade = Handlers.websocket(new Connected(), ex -> {
            broadcaster.unsubscribe(ex.getAttachment(SUBSCRIPTION), "not a WebSocket upgrade");
            Answers.error(ex, 400, "/v1/realtime/connect is a WebSocket endpoint: send a WebSocket upgrade (or use /v1/realtime/sse)");
        });
        return ex -> {
            List<Topic> topics;
            try {
                topics = tokens.verify(RealtimeApi.token(ex));
            } catch (TokenException e) {
                Answers.error(ex, 401, e.getMessage());
                return;
            }
            // Subscribed before the upgrade is answered, so a publish made once the client sees it open is delivered.
            ex.putAttachment(SUBSCRIPTION, broadcaster.subscribe(topics));
            upgrade.handleRequest(ex);
        };
    }

    private final class Connected implements WebSocketConnectionCallback {
        @Override
        public void onConnect(WebSocketHttpExchange exchange, WebSocketChannel channel) {
            Subscription sub = exchange.getAttachment(SUBSCRIPTION);
            channel.getReceiveSetter().set(new AbstractReceiveListener() {
                @Override
                protected void onFullTextMessage(WebSocketChannel ch, BufferedTextMessage message) {
                    control(sub, message.getData());
                }

                @Override
                protected void onCloseMessage(CloseMessage cm, WebSocketChannel ch) {
                    broadcaster.unsubscribe(sub, "closed by the client");
                }
            });
            channel.addCloseTask(ch -> broadcaster.unsubscribe(sub, "the connection closed"));
            channel.resumeReceives();
            var writerDone = new java.util.concurrent.CountDownLatch(1);
            sub.onClose(() -> threads.execute(() -> endIfStuck(channel, writerDone)));
            threads.execute(() -> {
                try {
                    write(channel, sub);
                } finally {
                    writerDone.countDown();
                }
            });
        }
    }

    /** The writer: messages as text frames, pings while idle, a close frame saying why when the subscription ends. */
    private void write(WebSocketChannel channel, Subscription sub) {
        try {
            while (channel.isOpen()) {
                RealtimeMessage m;
                try {
                    m = sub.take(RealtimeApi.keepalive());
                } catch (Subscription.Closed c) {
                    if (channel.isOpen()) {
                        WebSockets.sendCloseBlocking(new CloseMessage(TRY_AGAIN_LATER, reason(c.getMessage())), channel);
                    }
                    return;
                }
                if (m == Subscription.NONE) {
                    WebSockets.sendPingBlocking(ByteBuffer.allocate(0), channel);
                } else {
                    WebSockets.sendTextBlocking(Json.toString(m.toWire()), channel);
                }
            }
        } catch (IOException e) {
            LOG.debug("realtime subscriber {} went away: {}", sub.id(), e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            broadcaster.unsubscribe(sub, "the connection closed");
            if (channel.isOpen()) {
                try {
                    channel.close();
                } catch (IOException e) {
                    LOG.debug("closing realtime subscriber {}: {}", sub.id(), e.toString());
                }
            }
        }
    }

    /**
     * A writer blocked in a send to a client that stopped reading never sees the close: after a grace for a
     * close frame, the connection is dropped, which fails that send and frees the thread.
     */
    static void endIfStuck(java.io.Closeable connection, java.util.concurrent.CountDownLatch writerDone) {
        try {
            if (!writerDone.await(STUCK_GRACE.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
                connection.close();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            LOG.debug("dropping a stuck realtime subscriber: {}", e.toString());
        }
    }

    /** A {@code sub} or {@code unsub} message from the client; anything else is ignored (as Inngest does). */
    private void control(Subscription sub, String text) {
        JsonNode msg;
        try {
            msg = Json.mapper().readTree(text);
        } catch (IOException e) {
            return;
        }
        switch (msg.path("kind").asText("")) {
            case "sub" -> {
                try {
                    broadcaster.add(sub, tokens.verify(msg.path("data").asText("")));
                } catch (TokenException e) {
                    LOG.debug("realtime subscriber {}: a sub message was refused: {}", sub.id(), e.getMessage());
                }
            }
            case "unsub" -> {
                List<Topic> drop = new ArrayList<>();
                for (JsonNode t : msg.path("data")) {
                    String c = t.path("channel").asText("");
                    String n = t.path("name").asText("");
                    if (!c.isEmpty() && !n.isEmpty()) {
                        drop.add(new Topic(c, n));
                    }
                }
                broadcaster.remove(sub, drop);
            }
            default -> {
            }
        }
    }

    /** A close reason fits 123 bytes. */
    private static String reason(String why) {
        return why.length() > 120 ? why.substring(0, 120) : why;
    }
}
