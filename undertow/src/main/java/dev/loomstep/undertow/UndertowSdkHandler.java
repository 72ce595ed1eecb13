package dev.loomstep.undertow;

import dev.loomstep.http.SdkEndpoint;
import dev.loomstep.http.SdkRequest;
import dev.loomstep.http.SdkResponse;

import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.io.Receiver;
import io.undertow.util.HeaderValues;
import io.undertow.util.HttpString;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves bytes between Undertow and {@link SdkEndpoint}. The body is received asynchronously on the IO
 * thread (bounded by {@link dev.loomstep.http.ServeOptions#maxBodyBytes()}), then the request is dispatched to a virtual
 * thread, which runs the endpoint; the answer goes back to the connection's IO thread, which writes it and ends
 * the exchange (ended on the virtual thread, the exchange made the IO thread spin on the connection's state while
 * the executor's next request waited). An IO thread never blocks.
 */
public final class UndertowSdkHandler implements HttpHandler {
    private static final Logger log = LoggerFactory.getLogger(UndertowSdkHandler.class);

    private final SdkEndpoint endpoint;
    private final Executor executor;

    /** Serves {@code endpoint}, running each call on {@code executor} (a virtual-thread executor; never an IO thread). */
    public UndertowSdkHandler(SdkEndpoint endpoint, Executor executor) {
        this.endpoint = endpoint;
        this.executor = executor;
    }

    @Override
    public void handleRequest(HttpServerExchange exchange) {
        long limit = endpoint.options().maxBodyBytes();
        long declared = exchange.getRequestContentLength();
        if (declared > drainCap(limit)) {
            // Too big even to read past: answer now and drop the connection, the rest of the body unread.
            exchange.setPersistent(false);
            write(exchange, endpoint.payloadTooLarge(request(exchange, null), declared));
            return;
        }
        // Undertow's own cap (MAX_ENTITY_SIZE, 2 MiB unless the server sets it) would cut a 4 MiB run state
        // short with a reset; the limit here is maxBodyBytes, enforced by the Collector with a clear 413.
        exchange.setMaxEntitySize(drainCap(limit) + 1);
        exchange.getRequestReceiver().receivePartialBytes(new Collector(limit, declared),
                (ex, error) -> {
                    log.debug("could not read the body of {} {}: {}", ex.getRequestMethod(), ex.getRequestPath(), error.toString());
                    ex.setPersistent(false);
                    if (ex.isResponseStarted()) {
                        ex.endExchange();
                    } else {
                        // The client is most likely gone; if not, it gets the reason.
                        write(ex, error instanceof io.undertow.server.RequestTooBigException
                                ? endpoint.payloadTooLarge(request(ex, null), declared)
                                : endpoint.refuse(request(ex, null), 400, "could not read the request body: "
                                        + (error.getMessage() == null ? "the connection broke" : error.getMessage())));
                    }
                });
    }

    /**
     * How much of an oversized body is read and thrown away so the 413 reaches the client on a healthy
     * connection (a client still sending when the server closes often sees a reset instead of the answer).
     */
    private static long drainCap(long limit) {
        return Math.max(2 * limit, limit + (8L << 20));
    }

    /** Gathers the body on the IO thread without blocking, up to the limit; past it, skips the rest. */
    private final class Collector implements Receiver.PartialBytesCallback {
        private final long limit;
        private ByteArrayOutputStream buffer;
        private long seen;

        Collector(long limit, long declared) {
            this.limit = limit;
            this.buffer = new ByteArrayOutputStream((int) Math.min(Math.max(declared, 256), 64 * 1024));
        }

        @Override
        public void handle(HttpServerExchange exchange, byte[] chunk, boolean last) {
            seen += chunk.length;
            if (buffer != null && seen > limit) {
                buffer = null;
            }
            if (buffer != null) {
                buffer.writeBytes(chunk);
            } else if (!last && seen > drainCap(limit)) {
                exchange.getRequestReceiver().pause();
                exchange.setPersistent(false);
                write(exchange, endpoint.payloadTooLarge(request(exchange, null), -1));
                return;
            }
            if (last) {
                if (buffer == null) {
                    write(exchange, endpoint.payloadTooLarge(request(exchange, null), exchange.getRequestContentLength()));
                } else {
                    dispatch(exchange, buffer.toByteArray());
                }
            }
        }
    }

    private void dispatch(HttpServerExchange exchange, byte[] body) {
        // Undertow hands the task to the executor later, and answers a refusal itself with an empty 503;
        // wrapping the executor keeps that answer ours: one JSON line with the protocol's headers.
        Executor orRefuse = task -> {
            try {
                executor.execute(task);
            } catch (RejectedExecutionException e) {
                write(exchange, endpoint.refuse(request(exchange, body), 503, "the server is shutting down; try again on another instance"));
            }
        };
        exchange.dispatch(orRefuse, () -> {
            SdkResponse response;
            try {
                response = endpoint.handle(request(exchange, body));
            } catch (RuntimeException | Error e) {
                // handle() answers every failure itself; this is the last line so the exchange never hangs.
                log.error("unexpected failure answering {} {}", exchange.getRequestMethod(), exchange.getRequestPath(), e);
                if (exchange.isResponseStarted()) {
                    exchange.endExchange();
                } else {
                    write(exchange, endpoint.refuse(request(exchange, null), 500,
                            "internal error in the Loomstep SDK: " + e.getClass().getSimpleName()));
                }
                return;
            }
            write(exchange, response);
        });
    }

    private static SdkRequest request(HttpServerExchange exchange, byte[] body) {
        Map<String, List<String>> headers = new HashMap<>();
        for (HeaderValues values : exchange.getRequestHeaders()) {
            headers.put(values.getHeaderName().toString(), new ArrayList<>(values));
        }
        String query = exchange.getQueryString();
        String url = exchange.getRequestURL() + (query == null || query.isEmpty() ? "" : "?" + query);
        return new SdkRequest(exchange.getRequestMethod().toString(), url, headers, body);
    }

    private static void write(HttpServerExchange exchange, SdkResponse response) {
        if (exchange.isResponseStarted()) {
            log.warn("the answer to {} {} was started elsewhere; dropping Loomstep's {} answer",
                    exchange.getRequestMethod(), exchange.getRequestPath(), response.status(), new IllegalStateException("response already started"));
            return;
        }
        exchange.setStatusCode(response.status());
        response.headers().forEach((k, v) -> exchange.getResponseHeaders().put(HttpString.tryFromString(k), v));
        ByteBuffer out = ByteBuffer.wrap(response.body());
        if (exchange.isInIoThread()) {
            exchange.getResponseSender().send(out);
        } else {
            // Sent (and so the exchange ended) on the connection's IO thread: ended on the virtual thread, the
            // exchange holds Undertow's per-connection request state while the executor, already holding the
            // answer, sends its next request on the same connection, and the IO thread spins until it is released.
            exchange.getIoThread().execute(() -> exchange.getResponseSender().send(out));
        }
    }
}
