package dev.loomstep.connect;

import dev.loomstep.Loomstep;
import dev.loomstep.connect.internal.RequestRunner;
import dev.loomstep.connect.internal.Worker;
import dev.loomstep.connect.internal.WorkerOptions;
import dev.loomstep.http.SdkEndpoint;
import dev.loomstep.http.ServeOptions;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executors;

/**
 * Serves a Loomstep app over an outbound WebSocket to an Inngest gateway (Inngest Cloud, a self-hosted
 * Inngest server, or the Loomstep devserver): no inbound port, no public URL.
 *
 * <pre>{@code
 * var app = Loomstep.builder("billing").functions(charge).build();   // INNGEST_* from the environment
 * try (var worker = LoomstepConnect.builder(app).instanceId("billing-1").drainOnShutdown().build()) {
 *     worker.connect();          // returns once a gateway is ready
 *     // ... the app serves until close(), or SIGTERM with drainOnShutdown()
 * }
 * }</pre>
 *
 * Where to connect, the signing key (and fallback) and the environment come from the app's
 * {@link dev.loomstep.Config}, exactly as HTTP serving uses them. Each request runs on a virtual thread
 * through the same {@link SdkEndpoint} as an HTTP call. The worker reconnects on its own (backoff with
 * jitter), and {@link #close()} drains: in-flight requests finish and their replies are delivered first.
 */
public final class LoomstepConnect implements AutoCloseable {
    private final Worker worker;
    private final Thread shutdownHook;

    private LoomstepConnect(Builder b) {
        var endpoint = new SdkEndpoint(b.app, "connect", ServeOptions.defaults());
        var http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10))
                .executor(Executors.newVirtualThreadPerTaskExecutor()).build();
        var options = new WorkerOptions(b.instanceId, b.maxConcurrency, gatewayUrl(b.gatewayUrl, System.getenv()), b.connectTimeout, b.handshakeTimeout,
                b.backoffFirst, b.backoffMax, b.ackDeadline);
        this.worker = new Worker(b.app, options, new RequestRunner(endpoint), http);
        this.shutdownHook = b.drainOnShutdown ? Thread.ofPlatform().name("loomstep-connect-drain").unstarted(worker::close) : null;
        if (shutdownHook != null) {
            Runtime.getRuntime().addShutdownHook(shutdownHook);
        }
    }

    /** The builder's gateway URL, else {@code INNGEST_CONNECT_GATEWAY_URL} (as the JS SDK reads it), else none. */
    static URI gatewayUrl(URI configured, java.util.Map<String, String> env) {
        if (configured != null) {
            return configured;
        }
        String value = env.get("INNGEST_CONNECT_GATEWAY_URL");
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            URI uri = new URI(value.trim());
            if (!"ws".equals(uri.getScheme()) && !"wss".equals(uri.getScheme())) {
                throw new IllegalArgumentException("INNGEST_CONNECT_GATEWAY_URL must be a ws:// or wss:// URL, was \"" + value + "\"");
            }
            return uri;
        } catch (java.net.URISyntaxException e) {
            throw new IllegalArgumentException("INNGEST_CONNECT_GATEWAY_URL is not a URL: \"" + value + "\"", e);
        }
    }

    /** A worker for {@code app}; nothing connects until {@link #connect()}. */
    public static Builder builder(Loomstep app) {
        return new Builder(app);
    }

    /**
     * Connects and returns once the first gateway connection is ready; from then on the worker keeps a
     * connection open by itself until {@link #close()}.
     *
     * @throws ConnectException the API refused the signing key (401), the app is in cloud mode without
     *         one, or no gateway was ready within the connect timeout
     */
    public void connect() {
        worker.connect();
    }

    public ConnectionState state() {
        return worker.state();
    }

    /**
     * Drains and closes: sends WORKER_PAUSE so the gateway sends nothing new, lets in-flight requests
     * finish, delivers their replies (waiting for the gateway's acks, flushing the rest over HTTP), then
     * closes the socket with WORKER_SHUTDOWN. Blocks until that is done; calling it again waits as well.
     */
    @Override
    public void close() {
        worker.close();
        if (shutdownHook != null && Thread.currentThread() != shutdownHook) {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException alreadyShuttingDown) {
                // the hook is running or about to; it finds the worker closed
            }
        }
    }

    /** Options for a {@link LoomstepConnect} worker. */
    public static final class Builder {
        private final Loomstep app;
        private String instanceId;
        private Long maxConcurrency;
        private URI gatewayUrl;
        private boolean drainOnShutdown;
        private Duration connectTimeout = Duration.ofSeconds(60);
        private Duration handshakeTimeout = Duration.ofSeconds(10);
        private Duration backoffFirst = Duration.ofSeconds(1);
        private Duration backoffMax = Duration.ofMinutes(5);
        private Duration ackDeadline = Duration.ofSeconds(5);

        private Builder(Loomstep app) {
            this.app = Objects.requireNonNull(app, "app");
        }

        /** This worker's name, stable across reconnects (default: the host name, as the JS worker). */
        public Builder instanceId(String instanceId) {
            this.instanceId = instanceId;
            return this;
        }

        /** The most requests the gateway may send this worker at once (default: no limit). */
        public Builder maxConcurrency(long max) {
            if (max < 1) {
                throw new IllegalArgumentException("maxConcurrency must be at least 1, was " + max);
            }
            this.maxConcurrency = max;
            return this;
        }

        /**
         * Connects here instead of the gateway endpoint the start call answers (e.g. behind a proxy);
         * default: {@code INNGEST_CONNECT_GATEWAY_URL} when it is set.
         */
        public Builder gatewayUrl(URI url) {
            this.gatewayUrl = url;
            return this;
        }

        /** Drains (as {@link #close()}) when the JVM shuts down, e.g. on SIGTERM. */
        public Builder drainOnShutdown() {
            this.drainOnShutdown = true;
            return this;
        }

        /** How long {@link #connect()} waits for the first ready connection (default 60 s). */
        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = positive(timeout, "connectTimeout");
            return this;
        }

        /** How long one attempt may take from the start call to CONNECTION_READY (default 10 s, as JS). */
        public Builder handshakeTimeout(Duration timeout) {
            this.handshakeTimeout = positive(timeout, "handshakeTimeout");
            return this;
        }

        /**
         * Reconnect delays: {@code first}, doubling per failed attempt up to {@code max}, each shortened by
         * up to half at random so that many workers do not return at once (default 1 s to 5 min).
         */
        public Builder reconnectBackoff(Duration first, Duration max) {
            this.backoffFirst = positive(first, "first");
            this.backoffMax = positive(max, "max");
            if (max.compareTo(first) < 0) {
                throw new IllegalArgumentException("reconnectBackoff max (" + max + ") is less than first (" + first + ")");
            }
            return this;
        }

        /** How long a reply waits for the gateway's ack before it is delivered over HTTP (default 5 s, as JS). */
        public Builder replyAckTimeout(Duration timeout) {
            this.ackDeadline = positive(timeout, "replyAckTimeout");
            return this;
        }

        public LoomstepConnect build() {
            String key = app.config().signingKey();
            if (key != null && key.startsWith("signkey-branch-") && (app.config().env() == null || app.config().env().isBlank())) {
                throw new IllegalStateException("a branch environment signing key needs INNGEST_ENV (the branch's name)");
            }
            return new LoomstepConnect(this);
        }

        private static Duration positive(Duration d, String name) {
            if (d == null || d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(name + " must be a positive duration, was " + d);
            }
            return d;
        }
    }
}
