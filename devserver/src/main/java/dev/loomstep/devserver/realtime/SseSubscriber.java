package dev.loomstep.devserver.realtime;

import dev.loomstep.protocol.Json;
import dev.loomstep.realtime.RealtimeMessage;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;

/**
 * Server-sent events: {@code GET /v1/realtime/sse?token=…} streams each message of the token's topics as
 * {@code data: {json}\n\n}, with a {@code :} comment every 15 s as keepalive, for at most 15 minutes (as
 * Inngest's). Runs on the request's own virtual thread, which writes (and blocks) for this subscriber only.
 */
final class SseSubscriber {
    /** The longest an SSE connection stays open, as Inngest's. */
    static final Duration MAX_OPEN = Duration.ofMinutes(15);

    private final Broadcaster broadcaster;
    private final Tokens tokens;
    private final ExecutorService threads;

    SseSubscriber(Broadcaster broadcaster, Tokens tokens, ExecutorService threads) {
        this.broadcaster = broadcaster;
        this.tokens = tokens;
        this.threads = threads;
    }

    void subscribe(HttpServerExchange ex) throws IOException {
        List<Topic> topics;
        try {
            topics = tokens.verify(RealtimeApi.token(ex));
        } catch (TokenException e) {
            Answers.error(ex, 401, e.getMessage());
            return;
        }
        stream(ex, broadcaster.subscribe(topics));
    }

    /** The UI's view of one run: every message it publishes, those it already published first. */
    void watchRun(HttpServerExchange ex) throws IOException {
        String runId = ex.getQueryParameters().get("runId").getFirst();
        stream(ex, broadcaster.watchRun(runId));
    }

    private void stream(HttpServerExchange ex, Subscription sub) throws IOException {
        String why = "the client went away";
        var writerDone = new java.util.concurrent.CountDownLatch(1);
        sub.onClose(() -> threads.execute(() -> WebSocketSubscriber.endIfStuck(ex.getConnection(), writerDone)));
        try {
            ex.setStatusCode(200);
            ex.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/event-stream")
                    .put(Headers.CACHE_CONTROL, "no-cache")
                    .put(new HttpString("Access-Control-Allow-Origin"), "*")
                    .put(new HttpString("Access-Control-Expose-Headers"), "Content-Type");
            OutputStream out = ex.getOutputStream();
            out.flush();
            long deadline = System.nanoTime() + MAX_OPEN.toNanos();
            while (System.nanoTime() < deadline) {
                RealtimeMessage m;
                try {
                    m = sub.take(RealtimeApi.keepalive());
                } catch (Subscription.Closed c) {
                    why = c.getMessage();
                    RealtimeApi.write(out, ": closing: " + why + "\n\n");
                    return;
                }
                RealtimeApi.write(out, m == Subscription.NONE ? ":\n\n" : "data: " + Json.toString(m.toWire()) + "\n\n");
            }
            why = "open for " + MAX_OPEN.toMinutes() + " minutes";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            why = "interrupted";
        } finally {
            writerDone.countDown();
            broadcaster.unsubscribe(sub, why);
        }
    }
}
