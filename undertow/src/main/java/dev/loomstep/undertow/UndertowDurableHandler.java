package dev.loomstep.undertow;

import dev.loomstep.http.DurableEndpoint;
import dev.loomstep.http.SdkRequest;
import dev.loomstep.http.SdkResponse;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.HeaderValues;
import io.undertow.util.HttpString;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;

/**
 * Serves a {@link DurableEndpoint} in an Undertow server: mount it at the endpoint's path. The body is
 * received on the IO thread without blocking, then the handler (and its steps) runs on a virtual thread.
 *
 * <pre>{@code
 * Undertow.builder().addHttpListener(8080, "0.0.0.0")
 *         .setHandler(Handlers.path().addExactPath("/api/checkout", new UndertowDurableHandler(checkout)))
 *         .build().start();
 * }</pre>
 */
public final class UndertowDurableHandler implements HttpHandler {
    private static final Executor VIRTUAL = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("loomstep-endpoint-", 0).factory());

    private final DurableEndpoint endpoint;

    public UndertowDurableHandler(DurableEndpoint endpoint) {
        this.endpoint = java.util.Objects.requireNonNull(endpoint, "endpoint");
    }

    @Override
    public void handleRequest(HttpServerExchange exchange) {
        long limit = endpoint.options().maxBodyBytes();
        exchange.setMaxEntitySize(limit);
        exchange.getRequestReceiver().receiveFullBytes(
                (ex, body) -> ex.dispatch(VIRTUAL, () -> write(ex, endpoint.handle(request(ex, body)))),
                (ex, error) -> {
                    ex.setPersistent(false);
                    ex.setStatusCode(error instanceof io.undertow.server.RequestTooBigException ? 413 : 400);
                    ex.endExchange();
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
        exchange.setStatusCode(response.status());
        response.headers().forEach((k, v) -> exchange.getResponseHeaders().put(HttpString.tryFromString(k), v));
        exchange.getResponseSender().send(ByteBuffer.wrap(response.body()));
    }
}
