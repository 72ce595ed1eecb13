package dev.loomstep.devserver.executor;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.classic.methods.HttpPost;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.io.entity.ByteArrayEntity;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.pool.PoolConcurrencyPolicy;
import org.apache.hc.core5.util.TimeValue;
import org.apache.hc.core5.util.Timeout;

/**
 * The HTTP/1.1 client of the executor's calls to SDK endpoints: Apache HttpClient 5's classic (blocking)
 * client, so that a call is written and its answer read on the calling virtual thread, on a kept-alive
 * pooled connection. The JDK's {@code java.net.http} client hands each exchange between the caller, its
 * selector thread and its executor several times: about 1.5× slower per call on loopback
 * ({@code HttpClientAB} in the benchmarks module), and the call is on every step's path.
 *
 * <p>Configured to send what the JDK client sent: only the headers the caller sets plus {@code Host} and
 * {@code Content-Length} (no {@code Connection}, compression, cookies, redirects, automatic retries or
 * {@code Expect}), with no
 * limit on the connections per app (the executor bounds its calls in flight). TLS uses the JDK's default
 * trust store and hostname verification.
 */
final class SdkHttp implements AutoCloseable {
    /** An answer read whole: status, headers (first value by name, case-insensitive) and body. */
    record Response(int status, Map<String, String> headers, byte[] body) {
        String header(String name) {
            return headers.get(name.toLowerCase(java.util.Locale.ROOT));
        }
    }

    private final CloseableHttpClient client;

    /**
     * @param connectTimeout how long opening a connection may take
     * @param answerTimeout  how long the endpoint may stay silent before answering (a socket read timeout)
     */
    SdkHttp(Duration connectTimeout, Duration answerTimeout) {
        var connections = PoolingHttpClientConnectionManagerBuilder.create()
                // Per-route pools without one global lock: many runs call the same app at once.
                .setPoolConcurrencyPolicy(PoolConcurrencyPolicy.LAX)
                .setMaxConnPerRoute(Integer.MAX_VALUE)
                .setMaxConnTotal(Integer.MAX_VALUE)
                .setDefaultConnectionConfig(ConnectionConfig.custom()
                        .setConnectTimeout(Timeout.of(connectTimeout))
                        .setSocketTimeout(Timeout.of(answerTimeout))
                        // A connection idle this long is checked before reuse, so that an app's restart
                        // costs no spurious "closed the connection" retry.
                        .setValidateAfterInactivity(TimeValue.ofSeconds(2))
                        // Node (20 … 23) checks headersTimeout (60 s) against a kept-alive connection's
                        // first request, not its current one (nodejs/node#58140): a request in flight on a
                        // connection older than a minute may be reset. Connections are renewed well before.
                        .setTimeToLive(TimeValue.ofSeconds(20))
                        .build())
                .build();
        this.client = HttpClients.custom()
                .setConnectionManager(connections)
                .setDefaultRequestConfig(RequestConfig.custom()
                        .setResponseTimeout(Timeout.of(answerTimeout))
                        .setExpectContinueEnabled(false)
                        .build())
                .setKeepAliveStrategy(SdkHttp::keepAlive)
                .disableAutomaticRetries()
                .disableRedirectHandling()
                .disableCookieManagement()
                .disableContentCompression()
                .disableAuthCaching()
                .disableConnectionState()
                .evictIdleConnections(TimeValue.ofSeconds(30))
                // HTTP/1.1 keeps connections alive without it; the JDK client never sent it, nor do we.
                .addRequestInterceptorLast((request, entity, context) -> request.removeHeaders("Connection"))
                .build();
    }

    /**
     * How long a connection is reused after an answer: half the {@code Keep-Alive: timeout=N} the app sent
     * (Node sends 5 s), else the client's default. An app closes an idle connection when its own timer
     * fires, and a busy Node event loop may run that timer after a request arrived on the socket but
     * before it was read: the request is then reset unanswered. Reusing only well inside the app's window
     * keeps requests off connections about to close.
     */
    static org.apache.hc.core5.util.TimeValue keepAlive(org.apache.hc.core5.http.HttpResponse response,
                                                        org.apache.hc.core5.http.protocol.HttpContext context) {
        var it = new org.apache.hc.core5.http.message.BasicHeaderElementIterator(response.headerIterator("Keep-Alive"));
        while (it.hasNext()) {
            var element = it.next();
            if ("timeout".equalsIgnoreCase(element.getName()) && element.getValue() != null) {
                try {
                    long seconds = Long.parseLong(element.getValue().trim());
                    return TimeValue.ofMilliseconds(Math.max(0, seconds * 1000 / 2));
                } catch (NumberFormatException ignored) {
                    // not a number: the default below
                }
            }
        }
        return org.apache.hc.client5.http.impl.DefaultConnectionKeepAliveStrategy.INSTANCE.getKeepAliveDuration(response, context);
    }

    /**
     * POSTs {@code body} with exactly {@code headers}; blocks until the answer is read whole.
     *
     * @throws java.net.SocketTimeoutException when the endpoint stays silent past the answer timeout
     * @throws org.apache.hc.client5.http.ConnectTimeoutException when connecting takes longer than the connect timeout
     * @throws IOException when the connection fails or is closed before the answer
     */
    Response post(URI uri, List<Map.Entry<String, String>> headers, byte[] body) throws IOException {
        var post = new HttpPost(uri);
        for (var h : headers) {
            post.addHeader(h.getKey(), h.getValue());
        }
        post.setEntity(new ByteArrayEntity(body, null));
        return client.execute(post, SdkHttp::read);
    }

    /** GETs {@code uri} with exactly {@code headers}; blocks until the answer is read whole. */
    Response get(URI uri, List<Map.Entry<String, String>> headers) throws IOException {
        var get = new org.apache.hc.client5.http.classic.methods.HttpGet(uri);
        for (var h : headers) {
            get.addHeader(h.getKey(), h.getValue());
        }
        return client.execute(get, SdkHttp::read);
    }

    private static Response read(org.apache.hc.core5.http.ClassicHttpResponse response) throws IOException {
        byte[] bytes;
        if (response.getEntity() == null) {
            bytes = new byte[0];
        } else {
            try (InputStream in = response.getEntity().getContent()) {
                bytes = in.readAllBytes();
            }
        }
        var names = new java.util.HashMap<String, String>();
        for (Header h : response.getHeaders()) {
            names.putIfAbsent(h.getName().toLowerCase(java.util.Locale.ROOT), h.getValue());
        }
        return new Response(response.getCode(), names, bytes);
    }

    /** Closes every connection at once: calls in flight fail with an {@link IOException}. */
    @Override
    public void close() {
        client.close(CloseMode.IMMEDIATE);
    }
}
