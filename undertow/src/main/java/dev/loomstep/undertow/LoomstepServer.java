package dev.loomstep.undertow;

import dev.loomstep.Loomstep;
import dev.loomstep.http.LoomstepServlet;
import dev.loomstep.http.SdkEndpoint;
import dev.loomstep.http.ServeOptions;
import dev.loomstep.http.SyncResult;
import io.undertow.Undertow;
import io.undertow.server.DefaultByteBufferPool;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.handlers.GracefulShutdownHandler;
import io.undertow.server.handlers.HttpContinueReadHandler;
import io.undertow.util.HttpString;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves a Loomstep app over HTTP with Undertow: one path (default {@value #DEFAULT_PATH}) answering
 * the executor's GET (introspection), PUT (sync) and POST (call) requests. Call requests run on virtual
 * threads; Undertow's IO threads only read and write bytes.
 *
 * <pre>{@code
 * try (var server = LoomstepServer.builder(app).port(3000).start()) {
 *     server.register("http://localhost:8288");   // sync with a dev server, or let it discover the app
 *     ...
 * }
 * }</pre>
 *
 * To mount the endpoint in an Undertow server of your own, use {@link #handler(Loomstep)}; for a servlet
 * container (Spring Boot, Tomcat, Jetty), use {@link LoomstepServlet}.
 */
public final class LoomstepServer implements AutoCloseable {
    public static final String DEFAULT_PATH = "/api/inngest";
    public static final String FRAMEWORK = "undertow";

    private static final Logger log = LoggerFactory.getLogger(LoomstepServer.class);
    /** Virtual threads need no pool to manage; one executor serves every mounted {@link #handler}. */
    private static final ExecutorService HANDLER_CALLS = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("loomstep-http-", 0).factory());

    private final Undertow undertow;
    private final GracefulShutdownHandler graceful;
    private final ExecutorService executor;
    private final SdkEndpoint endpoint;
    private final String host;
    private final String path;
    private final int port;

    private LoomstepServer(Builder b) {
        this.endpoint = new SdkEndpoint(b.app, FRAMEWORK, b.options);
        this.executor = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("loomstep-http-", 0).factory());
        this.path = b.path;
        HttpHandler sdk = new HttpContinueReadHandler(new UndertowSdkHandler(endpoint, executor));
        HttpHandler root = exchange -> {
            String p = exchange.getRequestPath();
            if (p.equals(path) || p.equals(path + "/")) {
                sdk.handleRequest(exchange);
            } else {
                notFound(exchange, path);
            }
        };
        this.graceful = new GracefulShutdownHandler(root);
        this.undertow = Undertow.builder()
                .addHttpListener(b.port, b.host)
                .setIoThreads(b.ioThreads)
                .setWorkerThreads(2) // blocking work runs on virtual threads, not Undertow's worker pool
                // Undertow's default pool caches buffers per thread and frees the rest: on a fresh virtual
                // thread per request every read and write would allocate and zero a new direct buffer.
                .setByteBufferPool(new DefaultByteBufferPool(true, 16 * 1024 - 20, 512, 0))
                .setHandler(graceful)
                .build();
        try {
            undertow.start();
        } catch (RuntimeException e) {
            executor.shutdownNow();
            throw new IllegalStateException("cannot start the Loomstep server on " + b.host + ":" + b.port + ": " + e.getMessage(), e);
        }
        var address = (InetSocketAddress) undertow.getListenerInfo().get(0).getAddress();
        this.port = address.getPort();
        this.host = b.host.equals("0.0.0.0") || b.host.equals("::") ? "127.0.0.1" : b.host;
        log.info("Loomstep app \"{}\" serving {} functions at {} ({} mode)", b.app.appId(), b.app.functionsById().size(), url(),
                b.app.config().mode());
    }

    /** Starts configuring a server for {@code app}. */
    public static Builder builder(Loomstep app) {
        return new Builder(app);
    }

    /** Starts a server for {@code app} on all interfaces at {@code port} (0: a free port) and {@value #DEFAULT_PATH}. */
    public static LoomstepServer start(Loomstep app, int port) {
        return builder(app).port(port).start();
    }

    /**
     * An Undertow handler serving {@code app}, for mounting at a path of your own Undertow server. It
     * answers every request it is given (route to it yourself) and runs calls on virtual threads.
     */
    public static HttpHandler handler(Loomstep app) {
        return handler(app, ServeOptions.defaults());
    }

    /** As {@link #handler(Loomstep)}, with options. */
    public static HttpHandler handler(Loomstep app, ServeOptions options) {
        return new HttpContinueReadHandler(new UndertowSdkHandler(new SdkEndpoint(app, FRAMEWORK, options), HANDLER_CALLS));
    }

    /** The port the server listens on (the actual one when started with port 0). */
    public int port() {
        return port;
    }

    /** The endpoint's local URL, e.g. {@code http://127.0.0.1:3000/api/inngest}. */
    public String url() {
        return "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port + path;
    }

    /** The framework-neutral endpoint behind this server. */
    public SdkEndpoint endpoint() {
        return endpoint;
    }

    /**
     * Syncs the app with the configured executor (the API origin of the app's config), as a PUT would:
     * the registered URL is the configured serve origin and path, or else {@link #url()}.
     *
     * @throws dev.loomstep.http.SyncException when the executor refuses or cannot be reached
     */
    public SyncResult sync() {
        return endpoint.sync(url(), null);
    }

    /**
     * Syncs the app with the executor whose API is at {@code executorOrigin}, e.g. a dev server at
     * {@code http://localhost:8288}.
     *
     * @throws dev.loomstep.http.SyncException when the executor refuses or cannot be reached
     */
    public SyncResult register(String executorOrigin) {
        return endpoint.sync(url(), Objects.requireNonNull(executorOrigin, "executorOrigin"));
    }

    /**
     * Refuses new requests (503), lets the ones in flight finish for up to 10 seconds, then stops the
     * server and interrupts whatever still runs.
     */
    @Override
    public void close() {
        graceful.shutdown();
        try {
            if (!graceful.awaitShutdown(10_000)) {
                log.warn("requests still in flight after 10 s; stopping the server anyway");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        undertow.stop();
        executor.shutdownNow();
    }

    private static void notFound(HttpServerExchange exchange, String path) {
        exchange.setStatusCode(404);
        exchange.getResponseHeaders().put(HttpString.tryFromString("Content-Type"), "application/json");
        exchange.getResponseSender().send("{\"message\":\"not found: this server answers at " + path.replace("\"", "") + "\"}");
    }

    /** Where and how a {@link LoomstepServer} listens. */
    public static final class Builder {
        private final Loomstep app;
        private String host = "0.0.0.0";
        private int port = 3000;
        private String path = DEFAULT_PATH;
        private int ioThreads = Math.max(2, Runtime.getRuntime().availableProcessors());
        private ServeOptions options = ServeOptions.defaults();

        private Builder(Loomstep app) {
            this.app = Objects.requireNonNull(app, "app");
        }

        /** The interface to bind (default 0.0.0.0, every IPv4 interface). */
        public Builder host(String value) {
            host = Objects.requireNonNull(value, "host");
            return this;
        }

        /** The port (default 3000; 0 picks a free one, see {@link LoomstepServer#port()}). */
        public Builder port(int value) {
            if (value < 0 || value > 65535) {
                throw new IllegalArgumentException("port must be 0..65535, got " + value);
            }
            port = value;
            return this;
        }

        /** The local path the endpoint answers at (default {@value LoomstepServer#DEFAULT_PATH}). */
        public Builder path(String value) {
            if (value == null || !value.startsWith("/")) {
                throw new IllegalArgumentException("path must start with \"/\", got " + value);
            }
            path = value.length() > 1 && value.endsWith("/") ? value.substring(0, value.length() - 1) : value;
            return this;
        }

        /** Undertow IO threads (default: the number of cores, at least 2). */
        public Builder ioThreads(int value) {
            if (value < 1) {
                throw new IllegalArgumentException("ioThreads must be at least 1, got " + value);
            }
            ioThreads = value;
            return this;
        }

        public Builder options(ServeOptions value) {
            options = Objects.requireNonNull(value, "options");
            return this;
        }

        /** Starts the server. */
        public LoomstepServer start() {
            return new LoomstepServer(this);
        }
    }
}
