package dev.loomstep.devserver.metrics;

import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;

/** {@code GET /metrics}: {@link DevMetrics} as Prometheus text, written off the IO thread. */
public final class MetricsEndpoint implements HttpHandler {
    private final DevMetrics metrics;

    public MetricsEndpoint(DevMetrics metrics) {
        this.metrics = metrics;
    }

    @Override
    public void handleRequest(HttpServerExchange ex) throws Exception {
        if (ex.isInIoThread()) {
            ex.dispatch(this);
            return;
        }
        var body = new ByteArrayOutputStream(16 * 1024);
        metrics.write(body);
        ex.getResponseHeaders().put(Headers.CONTENT_TYPE, metrics.contentType());
        ex.getResponseSender().send(ByteBuffer.wrap(body.toByteArray()));
    }
}
