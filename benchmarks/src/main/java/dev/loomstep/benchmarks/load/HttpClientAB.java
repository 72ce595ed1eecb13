package dev.loomstep.benchmarks.load;

import io.undertow.Undertow;
import io.undertow.util.HttpString;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executors;
import org.apache.hc.client5.http.classic.methods.HttpPost;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManager;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.io.entity.ByteArrayEntity;
import org.apache.hc.core5.util.Timeout;

/**
 * A/B of the HTTP clients for the two hot calls of a durable run (the devserver's call to the SDK, the
 * SDK's checkpoint to the devserver): one sequential POST of a ~1.5 KiB JSON body with a ~1 KiB JSON
 * answer, over a kept-alive loopback connection to a real Undertow server, from one virtual thread.
 * The variants are interleaved call by call (the order rotated each round), so a busy machine slows them
 * alike; read the ratio to {@code jdk-vt} (the configuration both hot calls use today), not the absolutes.
 *
 * <pre>java -cp benchmarks.jar dev.loomstep.benchmarks.load.HttpClientAB [--calls 20000] [--warmup 5000]</pre>
 */
public final class HttpClientAB {
    private HttpClientAB() {}

    /** One client under test: posts {@code body} to {@code uri}, returns the answer's status after reading it whole. */
    interface Variant extends AutoCloseable {
        String name();

        int post(URI uri, byte[] body) throws IOException, InterruptedException;

        @Override
        default void close() throws IOException {}
    }

    public static void main(String[] args) throws Exception {
        if (System.getProperty("org.jboss.logging.provider") == null) {
            System.setProperty("org.jboss.logging.provider", "slf4j");
        }
        int calls = 20_000;
        int warmup = 5_000;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--calls" -> calls = Integer.parseInt(args[++i]);
                case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i] + " (--calls N, --warmup N)");
            }
        }
        byte[] answer = json(1024);
        Undertow server = Undertow.builder()
                .addHttpListener(0, "127.0.0.1")
                // Reads the whole body and answers on the IO thread: the server's share is the same for every variant.
                .setHandler(exchange -> exchange.getRequestReceiver().receiveFullBytes((ex, bytes) -> {
                    ex.getResponseHeaders().put(new HttpString("Content-Type"), "application/json");
                    ex.getResponseSender().send(ByteBuffer.wrap(answer));
                }))
                .build();
        server.start();
        int port = ((InetSocketAddress) server.getListenerInfo().getFirst().getAddress()).getPort();
        URI uri = URI.create("http://127.0.0.1:" + port + "/api/inngest?fnId=ab&stepId=step");
        byte[] body = json(1536);
        List<Variant> variants = List.of(
                jdk("jdk-vt", Executors.newVirtualThreadPerTaskExecutor()),
                jdk("jdk-direct", Runnable::run),
                apache(),
                urlConnection());
        try {
            int total = warmup + calls;
            int skip = warmup;
            var result = new long[variants.size()][calls];
            Thread runner = Thread.ofVirtual().unstarted(() -> {
                try {
                    for (int i = 0; i < total; i++) {
                        for (int k = 0; k < variants.size(); k++) {
                            int v = (k + i) % variants.size();
                            long t0 = System.nanoTime();
                            int status = variants.get(v).post(uri, body);
                            long t = System.nanoTime() - t0;
                            if (status != 200) {
                                throw new IllegalStateException(variants.get(v).name() + " got " + status);
                            }
                            if (i >= skip) {
                                result[v][i - skip] = t;
                            }
                        }
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            runner.start();
            runner.join();
            report(variants, result, body.length, answer.length);
        } finally {
            for (Variant v : variants) {
                v.close();
            }
            server.stop();
        }
    }

    private static void report(List<Variant> variants, long[][] result, int bodyBytes, int answerBytes) {
        System.out.printf(Locale.ROOT, "%d calls per variant, %d B body, %d B answer, interleaved; load average %.2f%n",
                result[0].length, bodyBytes, answerBytes,
                java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        System.out.printf(Locale.ROOT, "%-12s %9s %9s %9s %12s%n", "variant", "p50 µs", "p99 µs", "mean µs", "p50 vs jdk-vt");
        double base = 0;
        for (int v = 0; v < variants.size(); v++) {
            long[] t = result[v].clone();
            Arrays.sort(t);
            double p50 = t[t.length / 2] / 1000.0;
            double p99 = t[(int) (t.length * 0.99)] / 1000.0;
            double mean = Arrays.stream(t).average().orElse(0) / 1000.0;
            if (v == 0) {
                base = p50;
            }
            System.out.printf(Locale.ROOT, "%-12s %9.1f %9.1f %9.1f %11.2fx%n", variants.get(v).name(), p50, p99, mean, base / p50);
        }
    }

    /** A JSON object of about {@code bytes} bytes, shaped like a call request's memoized steps. */
    static byte[] json(int bytes) {
        var sb = new StringBuilder("{\"steps\":{");
        int i = 0;
        while (sb.length() < bytes - 40) {
            sb.append(i == 0 ? "" : ",").append("\"").append(String.format(Locale.ROOT, "%040x", i)).append("\":{\"data\":").append(i).append('}');
            i++;
        }
        return sb.append("}}").toString().getBytes(StandardCharsets.UTF_8);
    }

    /** The JDK's client as both hot calls configure it today (HTTP/1.1), with the given response executor. */
    private static Variant jdk(String name, java.util.concurrent.Executor executor) {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).executor(executor).build();
        return new Variant() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public int post(URI uri, byte[] body) throws IOException, InterruptedException {
                var req = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
                HttpResponse<byte[]> r = client.send(req, HttpResponse.BodyHandlers.ofByteArray());
                return r.body().length > 0 ? r.statusCode() : -1;
            }

            @Override
            public void close() {
                client.shutdownNow();
            }
        };
    }

    /** Apache HttpClient 5 classic: blocking I/O on the caller's (virtual) thread, a pool of kept-alive connections. */
    private static Variant apache() {
        PoolingHttpClientConnectionManager pool = PoolingHttpClientConnectionManagerBuilder.create()
                .setDefaultConnectionConfig(ConnectionConfig.custom()
                        .setConnectTimeout(Timeout.ofSeconds(10)).setSocketTimeout(Timeout.ofSeconds(30)).build())
                .build();
        CloseableHttpClient client = HttpClients.custom().setConnectionManager(pool)
                .setDefaultRequestConfig(RequestConfig.custom().setResponseTimeout(Timeout.ofSeconds(30)).build())
                .disableAutomaticRetries().build();
        return new Variant() {
            @Override
            public String name() {
                return "apache5";
            }

            @Override
            public int post(URI uri, byte[] body) throws IOException {
                var post = new HttpPost(uri);
                post.setEntity(new ByteArrayEntity(body, ContentType.APPLICATION_JSON));
                return client.execute(post, response -> {
                    try (InputStream in = response.getEntity().getContent()) {
                        return in.readAllBytes().length > 0 ? response.getCode() : -1;
                    }
                });
            }

            @Override
            public void close() throws IOException {
                client.close();
            }
        };
    }

    /**
     * The JDK's other client, {@code HttpURLConnection}: blocking on the caller's thread (its locks are
     * virtual-thread friendly since JDK 19), kept-alive connections in the JDK's keep-alive cache, no dependency.
     */
    private static Variant urlConnection() {
        return new Variant() {
            @Override
            public String name() {
                return "jdk-urlconn";
            }

            @Override
            public int post(URI uri, byte[] body) throws IOException {
                var c = (java.net.HttpURLConnection) uri.toURL().openConnection();
                c.setConnectTimeout(10_000);
                c.setReadTimeout(30_000);
                c.setRequestMethod("POST");
                c.setDoOutput(true);
                c.setFixedLengthStreamingMode(body.length);
                c.setRequestProperty("Content-Type", "application/json");
                try (var out = c.getOutputStream()) {
                    out.write(body);
                }
                int status = c.getResponseCode();
                try (InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream()) {
                    return in.readAllBytes().length > 0 ? status : -1;
                }
            }
        };
    }
}
