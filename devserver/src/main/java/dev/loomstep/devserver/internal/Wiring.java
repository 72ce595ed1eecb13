package dev.loomstep.devserver.internal;

import dev.loomstep.devserver.api.HttpApi;
import dev.loomstep.devserver.metrics.DevMetrics;
import dev.loomstep.devserver.metrics.MetricsEndpoint;
import dev.loomstep.devserver.auth.ApiAccess;
import dev.loomstep.devserver.auth.ServiceKeys;
import dev.loomstep.devserver.connect.ConnectGateway;
import dev.loomstep.devserver.connect.ConnectTransport;
import dev.loomstep.devserver.executor.Backoff;
import dev.loomstep.devserver.executor.Checkpoints;
import dev.loomstep.devserver.executor.Dispatches;
import dev.loomstep.devserver.endpoint.EndpointRuns;
import dev.loomstep.devserver.endpoint.EndpointTransport;
import dev.loomstep.devserver.endpoint.RunTokens;
import dev.loomstep.devserver.executor.Executor;
import dev.loomstep.devserver.executor.Lifecycle;
import dev.loomstep.devserver.executor.Policies;
import dev.loomstep.devserver.executor.Registry;
import dev.loomstep.devserver.executor.RunTraces;
import dev.loomstep.devserver.executor.SdkClient;
import dev.loomstep.devserver.executor.AppCalls;
import dev.loomstep.devserver.mcp.McpEndpoint;
import dev.loomstep.devserver.executor.SdkTransport;
import dev.loomstep.devserver.queue.WorkQueue;
import dev.loomstep.devserver.store.AppRecord;
import dev.loomstep.devserver.store.QueueItem;
import dev.loomstep.devserver.store.RunStatus;
import dev.loomstep.devserver.store.SecretBox;
import dev.loomstep.devserver.store.Store;
import io.undertow.Undertow;
import io.undertow.UndertowOptions;
import io.undertow.server.DefaultByteBufferPool;
import io.undertow.server.HttpHandler;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The devserver's parts, wired and started in order (store, queue, executor, Connect gateway, HTTP
 * listeners, app syncs) and closed in the order that loses nothing ({@link #close()}). The public
 * {@code DevServer} is the API over it.
 */
public final class Wiring implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Wiring.class);

    /**
     * What the builder settled: {@code database} null for in-memory, {@code policies} null for the
     * defaults on {@code clock}, {@code connectPort} -1 for no gateway.
     */
    public record Config(
            Path database,
            boolean fullSync,
            boolean production,
            String signingKey,
            List<String> eventKeys,
            ApiAccess apiAccess,
            Policies policies,
            InstantSource clock,
            int queueWindow,
            int maxConcurrentCalls,
            int maxCallsPerApp,
            Duration callTimeout,
            double retryDelayScale,
            String host,
            int port,
            int connectPort,
            ConnectGateway.Settings connectSettings,
            List<String> syncUrls) {}

    private final Store store;
    private final Policies policies;
    private WorkQueue queue;
    private Lifecycle lifecycle;
    private SdkClient client;
    private HttpApi api;
    private McpEndpoint mcp;
    /** Null when Connect is off. */
    private ConnectGateway gateway;
    private Undertow undertow;
    private Undertow undertow6; // [::1] as well, on the loopback default; null otherwise
    private AppSyncer syncer;
    private int port;
    private String url;

    private Wiring(Config c) {
        // Checked before anything opens: a production server without its keys does not start.
        ServiceKeys keys = c.production() ? ServiceKeys.of(c.signingKey(), c.eventKeys()) : null;
        this.policies = c.policies() != null ? c.policies() : Policies.defaults(c.clock());
        // Secrets a queue row keeps (a model provider's API key) are sealed with a key that is not in the
        // file: derived from the signing key in production, else in a key file next to the database.
        this.store = c.database() == null ? Store.inMemory() : Store.open(c.database(), c.fullSync(),
                keys != null ? SecretBox.derived(keys.derive("secrets at rest"), c.database()) : SecretBox.keyFile(c.database()));
        try {
            start(c, keys);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** Opens the database, resumes pending work and starts listening; closes what it opened if a part fails. */
    public static Wiring start(Config config) {
        return new Wiring(config);
    }

    private void start(Config c, ServiceKeys keys) {
        var registry = new Registry(store);
        var executor = new AtomicReference<Executor>();
        this.queue = new WorkQueue(item -> executor.get().handle(item), c.clock(), store::itemsAfter, c.queueWindow());
        queue.maxRunning(c.maxConcurrentCalls());
        this.lifecycle = new Lifecycle(store, queue, registry, policies, c.clock());
        this.client = new SdkClient(c.callTimeout(), keys);
        var traces = new RunTraces(store, registry);
        this.client.traces(traces);
        var dispatches = new Dispatches();
        var checkpoints = new Checkpoints(lifecycle, dispatches, c.signingKey());
        var api = new HttpApi(lifecycle, checkpoints, keys, c.apiAccess());
        this.api = api;
        api.appHealth(client.health());
        api.inspectAfterSync(client::inspectAfterSync);
        this.gateway = c.connectPort() < 0 ? null : new ConnectGateway(c.host(), c.connectPort(), c.connectSettings(), new ConnectGateway.AppSink() {
            @Override
            public void synced(Registry.Sync sync) {
                api.commitSync(sync);
            }

            @Override
            public void refused(String appName, String reason) {
                api.syncFailed(appName, AppRecord.CONNECT, reason);
            }

            @Override
            public String conflict(Registry.Sync sync) {
                return api.syncConflict(sync);
            }
        });
        if (gateway != null) {
            gateway.traces(traces); // Connect calls carry the same trace context, in the request's user_trace_ctx
        }
        api.connect(gateway);
        api.metrics(new MetricsEndpoint(new DevMetrics(store, queue, dispatches, registry)));
        var backoff = new Backoff(c.retryDelayScale());
        var ex = new Executor(lifecycle, client, backoff, dispatches, new EndpointTransport(
                new ConnectTransport(SdkTransport.http(client), gateway, c.callTimeout()), store, keys, c.callTimeout()),
                new AppCalls(c.maxCallsPerApp()));
        ex.attach(queue);
        executor.set(ex);
        api.endpoints(new EndpointRuns(lifecycle, ex, checkpoints, backoff, new RunTokens()));
        // Every saved item is pending work, including calls that were in flight when the last process
        // stopped: they run again (the executor is at-least-once, like Inngest's). The queue pages
        // timers and discovery calls in from the store by due time, a window at a time, once started;
        // STEP calls (fan-outs under way, bounded by the runs executing) are always held.
        for (QueueItem item : store.items(QueueItem.Kind.STEP)) {
            queue.offer(item);
        }
        queue.start();
        this.mcp = new McpEndpoint(api.operations(), lifecycle);
        api.mcp(mcp.handler());
        var handler = api.handler();
        this.undertow = listen(c.port(), c.host(), handler);
        this.port = ((InetSocketAddress) undertow.getListenerInfo().get(0).getAddress()).getPort();
        // SDKs default to http://localhost:8288, and a resolver may give ::1 first: on the loopback
        // default, answer on the IPv6 loopback too (same port), when the machine has one.
        if (c.host().equals("127.0.0.1") || c.host().equals("localhost")) {
            this.undertow6 = listenOnIpv6Loopback(port, handler);
        }
        String host = c.host().equals("0.0.0.0") || c.host().equals("::") ? "127.0.0.1" : c.host();
        this.url = "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
        this.syncer = new AppSyncer(c.production() ? "cloud" : "dev");
        syncer.start(c.syncUrls());
    }

    private static Undertow listen(int port, String host, HttpHandler handler) {
        Undertow u = Undertow.builder()
                .addHttpListener(port, host)
                .setIoThreads(2)
                .setWorkerThreads(2) // handlers run on virtual threads; Undertow's pool stays idle
                .setByteBufferPool(sharedBuffers())
                .setServerOption(UndertowOptions.MAX_ENTITY_SIZE, HttpApi.MAX_BODY_BYTES)
                .setHandler(handler)
                .build();
        u.start();
        return u;
    }

    /**
     * Undertow's default pool caches buffers per thread and frees the rest at once: a handler on a fresh
     * virtual thread (every request here) then allocates and zeroes a new 16 KiB direct buffer for each
     * read and write, and registers a per-thread cache under a global lock. A pool without per-thread
     * caches hands buffers around through one lock-free queue instead.
     */
    private static DefaultByteBufferPool sharedBuffers() {
        return new DefaultByteBufferPool(true, 16 * 1024 - 20, 512, 0);
    }

    /** Listens on [::1]:port too; null (logged) when there is no IPv6 loopback or the port is taken there. */
    private static Undertow listenOnIpv6Loopback(int port, HttpHandler handler) {
        try {
            return listen(port, "::1", handler);
        } catch (RuntimeException e) {
            LOG.debug("not listening on [::1]:{} as well: {}", port, e.getMessage());
            return null;
        }
    }

    /** The base URL SDKs use as their dev server origin. */
    public String url() {
        return url;
    }

    /** The HTTP port actually listened on. */
    public int port() {
        return port;
    }

    /** The Connect gateway, or null when Connect is off. */
    public ConnectGateway gateway() {
        return gateway;
    }

    public dev.loomstep.devserver.realtime.Broadcaster realtime() {
        return api.realtime();
    }

    /** Cancels every unfinished run (giving back flow-control slots), then forgets runs and their state. */
    public void reset() {
        for (var run : store.runs(RunStatus.Running, null, Integer.MAX_VALUE)) {
            lifecycle.cancel(run.id(), "the devserver was reset");
        }
        store.clearRuns();
    }

    /**
     * Stops in the order that loses nothing: syncs, then the gateway (it drains while the executor still
     * takes replies), the listeners, flow-control timers, the queue, the SDK client, the API, the store
     * last. Safe on a half-started wiring; the caller makes it run once.
     */
    @Override
    public void close() {
        if (syncer != null) {
            syncer.close();
        }
        if (gateway != null) {
            gateway.close(); // drains first: workers finish and reply while the executor still takes replies
        }
        if (undertow6 != null) {
            undertow6.stop();
        }
        if (undertow != null) {
            undertow.stop();
        }
        if (policies.flowControl() instanceof AutoCloseable flow) {
            try {
                flow.close(); // stops its timers before the queue and the store go
            } catch (Exception e) {
                // nothing to do: the devserver is stopping
            }
        }
        if (queue != null) {
            queue.close();
        }
        if (client != null) {
            client.close();
        }
        if (mcp != null) {
            mcp.close();
        }
        if (api != null) {
            api.close();
        }
        store.close();
    }
}
