package dev.loomstep.devserver;

import dev.loomstep.devserver.auth.ApiAccess;
import dev.loomstep.devserver.connect.ConnectGateway;
import dev.loomstep.devserver.executor.Backoff;
import dev.loomstep.devserver.executor.Policies;
import dev.loomstep.devserver.internal.Cli;
import dev.loomstep.devserver.internal.Wiring;
import dev.loomstep.devserver.queue.WorkQueue;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An embedded, durable Inngest-protocol executor for development and tests. It receives events, runs
 * the functions of synced apps by calling their SDK endpoints (Loomstep's or any other Inngest SDK's),
 * keeps every run's state in SQLite so a restart resumes it, and serves a REST API over runs.
 *
 * <pre>{@code
 * try (DevServer dev = DevServer.builder().port(0).inMemory().start()) {
 *     // point apps at dev.url() (INNGEST_DEV=dev.url()), sync them, send events to dev.url() + "/e/key"
 * }
 * }</pre>
 *
 * Standalone: {@code java -jar devserver.jar [--port 8288] [--db FILE | --in-memory] [-u APP_URL]...}
 * (see {@link #main}).
 */
public final class DevServer implements AutoCloseable {
    /** The port Inngest's dev server uses, which SDKs in dev mode call by default. */
    public static final int DEFAULT_PORT = 8288;
    /** The database file used when none is given. */
    public static final Path DEFAULT_DATABASE = Path.of("loomstep-dev.db");

    private final Wiring wiring;
    private final Path database;
    private final Sync sync;
    private final boolean production;
    private final int maxConcurrentCalls;
    private final AtomicBoolean closed = new AtomicBoolean();

    private DevServer(Builder b) {
        this.database = b.database == null ? null : b.database.toAbsolutePath();
        this.production = b.production;
        this.maxConcurrentCalls = b.maxConcurrentCalls;
        this.sync = b.sync != null ? b.sync : b.production ? Sync.FULL : Sync.NORMAL;
        int connectPort = b.connectPort != null ? b.connectPort : b.port == DEFAULT_PORT ? ConnectGateway.DEFAULT_PORT : 0;
        this.wiring = Wiring.start(new Wiring.Config(b.database, sync == Sync.FULL, b.production, b.signingKey,
                List.copyOf(b.eventKeys), b.apiAccess, b.policies, b.clock, b.queueWindow, b.maxConcurrentCalls, b.maxCallsPerApp,
                b.callTimeout, b.retryDelayScale, b.host, b.port, connectPort, b.connectSettings, List.copyOf(b.syncUrls)));
    }

    /** Starts configuring a devserver (defaults: port 8288 on 127.0.0.1, database ./loomstep-dev.db). */
    public static Builder builder() {
        return new Builder();
    }

    /** The base URL, e.g. {@code http://127.0.0.1:8288}; SDKs use it as their dev server origin. */
    public String url() {
        return wiring.url();
    }

    /** The port actually listened on (useful with {@code port(0)}). */
    public int port() {
        return wiring.port();
    }

    /** The port of the Connect gateway (workers' WebSockets), or -1 when Connect is off. */
    public int connectPort() {
        return wiring.gateway() == null ? -1 : wiring.gateway().port();
    }

    /**
     * The Connect gateway, or null when Connect is off: lists the connected workers; its
     * {@link ConnectGateway#answerHeartbeats} is a fault switch for tests.
     */
    public ConnectGateway connectGateway() {
        return wiring.gateway();
    }

    /** The realtime API's in-memory fan-out: its subscribers, and what each run published ({@code /v1/realtime/*}). */
    public dev.loomstep.devserver.realtime.Broadcaster realtime() {
        return wiring.realtime();
    }

    /** What a commit to the database file promises (see {@link Sync}). */
    public Sync synchronous() {
        return sync;
    }

    /** True when it runs as a service ({@link Builder#production()}): keys required, calls signed. */
    public boolean production() {
        return production;
    }

    /** The most queue items it handles at once ({@link Builder#maxConcurrentCalls(int)}). */
    public int maxConcurrentCalls() {
        return maxConcurrentCalls;
    }

    /** The database file, or null when the state lives in memory only. */
    public Path database() {
        return database;
    }

    /**
     * Starts over with the same synced apps: every unfinished run is cancelled (so flow-control slots it
     * held are given back), then every run, step, event, wait and pending item is forgotten. Synced
     * apps, their functions and cron schedules stay; rate-limit, throttle and idempotency windows are
     * not reset. For test suites that share one devserver across tests.
     */
    public void reset() {
        wiring.reset();
    }

    /**
     * Stops serving and closes the database. Calls in flight are abandoned; they run again when a
     * devserver next opens the same database file.
     */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            wiring.close();
        }
    }

    /** Runs the standalone devserver; {@code --help} lists the flags. */
    public static void main(String[] args) {
        Cli.main(args);
    }

    /**
     * What a commit promises before the devserver acknowledges it (an event accepted, a step's output
     * saved). Both keep SQLite in WAL mode; the choice is SQLite's {@code PRAGMA synchronous}.
     */
    public enum Sync {
        /**
         * The default: every acknowledged commit survives a crash or kill of the devserver process; a
         * crash of the machine or a power loss may lose the last commits (never corrupt the database).
         */
        NORMAL,
        /** Every commit is synced to disk before it is acknowledged: survives power loss too, at the cost of an fsync per batch. */
        FULL
    }

    /** Configures and starts a {@link DevServer}. */
    public static final class Builder {
        private int port = DEFAULT_PORT;
        private String host = "127.0.0.1";
        private Path database = DEFAULT_DATABASE;
        private double retryDelayScale = 1.0;
        /** Null: NORMAL, or FULL in production mode. */
        private Sync sync;
        private boolean production;
        private final List<String> eventKeys = new ArrayList<>();
        private ApiAccess apiAccess = ApiAccess.LOOPBACK_OR_KEY;
        private Duration callTimeout = Duration.ofMinutes(5);
        private final List<String> syncUrls = new ArrayList<>();
        /** Null: the defaults, on the builder's clock. */
        private Policies policies;
        private InstantSource clock = InstantSource.system();
        private String signingKey;
        private int queueWindow = WorkQueue.DEFAULT_WINDOW;
        private int maxConcurrentCalls = WorkQueue.DEFAULT_MAX_RUNNING;
        private int maxCallsPerApp = dev.loomstep.devserver.executor.AppCalls.DEFAULT_PER_APP;
        /** Null: {@value ConnectGateway#DEFAULT_PORT} beside the default API port, a free port beside any other. */
        private Integer connectPort;
        private ConnectGateway.Settings connectSettings = ConnectGateway.Settings.defaults();

        private Builder() {}

        /**
         * The port of the Connect gateway, where workers without a public endpoint open their WebSocket
         * (default: {@value ConnectGateway#DEFAULT_PORT} beside the default API port 8288, as Inngest, and a
         * free port beside any other, so that several devservers never collide; 0 picks a free one, see
         * {@link DevServer#connectPort()}). Workers learn it from {@code POST /v0/connect/start}.
         */
        public Builder connectPort(int port) {
            if (port < 0 || port > 65_535) {
                throw new IllegalArgumentException("a Connect gateway port must be 0..65535, got " + port);
            }
            this.connectPort = port;
            return this;
        }

        /** No Connect gateway: {@code /v0/connect/start} answers 503 and Connect apps' calls fail as unreachable. */
        public Builder noConnect() {
            this.connectPort = -1;
            return this;
        }

        /** The gateway's heartbeat, lease and ack timings (tests shorten them). */
        Builder connectSettings(ConnectGateway.Settings settings) {
            this.connectSettings = settings;
            return this;
        }

        /**
         * The most queue items handled at once — SDK calls in flight, mostly (default
         * {@value WorkQueue#DEFAULT_MAX_RUNNING}). It bounds the heap a burst of new runs takes; due items
         * beyond it wait their turn, in order.
         */
        public Builder maxConcurrentCalls(int calls) {
            if (calls < 1) {
                throw new IllegalArgumentException("maxConcurrentCalls must be at least 1, got " + calls);
            }
            this.maxConcurrentCalls = calls;
            return this;
        }

        /**
         * The most SDK calls in flight to one app endpoint — one {@code scheme://host:port} (default
         * {@value dev.loomstep.devserver.executor.AppCalls#DEFAULT_PER_APP}). Calls past it wait their turn in
         * order and never fail for it, so a fan-out of thousands of branches does not open more
         * connections at once than the app accepts. Apps served over Connect are bounded by their workers'
         * {@code max_worker_concurrency} instead.
         */
        public Builder maxCallsPerApp(int calls) {
            if (calls < 1) {
                throw new IllegalArgumentException("maxCallsPerApp must be at least 1, got " + calls);
            }
            this.maxCallsPerApp = calls;
            return this;
        }

        /** The most pending queue items held in memory (the rest are paged in from the store); tests shrink it. */
        Builder queueWindow(int items) {
            if (items < 2) {
                throw new IllegalArgumentException("the queue window must hold at least 2 items, got " + items);
            }
            this.queueWindow = items;
            return this;
        }

        /**
         * A signing key (as given to the SDKs, {@code signkey-…}): the checkpoint API then asks for the
         * {@code Authorization: Bearer} header SDKs send with it; in {@link #production()} mode it also signs
         * calls and guards syncs and the API. Without one (the default, dev mode) the
         * API asks for no authorization, like Inngest's dev server.
         */
        public Builder signingKey(String key) {
            if (key != null && key.isBlank()) {
                throw new IllegalArgumentException("a signing key must not be blank; pass null for none");
            }
            this.signingKey = key;
            return this;
        }

        /**
         * Runs the devserver as a service on one machine, like {@code inngest start}: {@code POST /e/{key}}
         * takes only the {@link #eventKey event keys} (401 otherwise); calls to SDKs are signed with the
         * {@link #signingKey signing key} ({@code X-Inngest-Signature}) and say they come from a
         * {@code cloud} server, so SDKs run in cloud mode with that key; SDKs' API calls (sync, checkpoints,
         * {@code /v0}) must carry its bearer; the REST API and the UI are open to this machine and need the
         * bearer from elsewhere ({@link #apiAccess}); commits default to {@link Sync#FULL}. {@link #start()}
         * refuses to start without a hex signing key and at least one event key.
         */
        public Builder production() {
            this.production = true;
            return this;
        }

        /** An event key {@code POST /e/{key}} takes in production mode (repeatable: keys for several senders). */
        public Builder eventKey(String key) {
            if (key == null || !key.matches("[A-Za-z0-9._~-]{1,256}")) {
                throw new IllegalArgumentException("an event key must be 1 to 256 URL-safe characters (A-Z a-z 0-9 . _ ~ -)");
            }
            eventKeys.add(key);
            return this;
        }

        /** Who may read the REST API and the UI in production mode (default {@link ApiAccess#LOOPBACK_OR_KEY}). */
        public Builder apiAccess(ApiAccess access) {
            if (access == null) {
                throw new IllegalArgumentException("an API access must not be null; the default is ApiAccess.LOOPBACK_OR_KEY");
            }
            this.apiAccess = access;
            return this;
        }

        /**
         * The clock the devserver runs by (default: the system clock): run and step times, when sleeps,
         * timeouts and retries are due, and cron firings. For tests of cron functions: give a clock you
         * can move forward, and a firing becomes due once the clock passes it (noticed within 200 ms).
         * Move it forward only; a clock turned back delays whatever is already scheduled.
         */
        public Builder clock(InstantSource clock) {
            if (clock == null) {
                throw new IllegalArgumentException("a clock must not be null; the default is InstantSource.system()");
            }
            this.clock = clock;
            return this;
        }

        /** Replaces the expression, cron and flow-control parts (tests of the policies). */
        Builder policies(Policies replacement) {
            this.policies = replacement;
            return this;
        }

        /** The port to listen on; 0 picks a free one (see {@link DevServer#port()}). */
        public Builder port(int port) {
            if (port < 0 || port > 65_535) {
                throw new IllegalArgumentException("a port must be 0..65535, got " + port);
            }
            this.port = port;
            return this;
        }

        /** The interface to listen on (default 127.0.0.1; "0.0.0.0" for every interface). */
        public Builder host(String host) {
            if (host == null || host.isBlank()) {
                throw new IllegalArgumentException("a host must not be blank");
            }
            this.host = host;
            return this;
        }

        /** Keep state in this SQLite file (created if missing); runs resume from it after a restart. */
        public Builder database(Path file) {
            if (file == null) {
                throw new IllegalArgumentException("a database file must not be null; use inMemory() for no file");
            }
            this.database = file;
            return this;
        }

        /**
         * What a commit to the database file promises (default {@link Sync#NORMAL}, {@link Sync#FULL} in
         * production mode); see {@link Sync}.
         * Without effect on an in-memory devserver.
         */
        public Builder synchronous(Sync mode) {
            if (mode == null) {
                throw new IllegalArgumentException("a sync mode must not be null; the default is Sync.NORMAL");
            }
            this.sync = mode;
            return this;
        }

        /** Keep state in memory only: nothing survives {@link DevServer#close()}. */
        public Builder inMemory() {
            this.database = null;
            return this;
        }

        /**
         * Multiplies every retry delay (15 s, 30 s, 1 m … 2 h, plus jitter) by {@code factor}; 0.001 makes
         * the first retry come after ~15 ms. {@code Retry-After} answers are not scaled.
         */
        public Builder retryDelayScale(double factor) {
            new Backoff(factor); // validates
            this.retryDelayScale = factor;
            return this;
        }

        /** How long one call to an SDK may take before it counts as failed and is retried (default 5 min). */
        public Builder callTimeout(Duration timeout) {
            if (timeout == null || timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("a call timeout must be positive, got " + timeout);
            }
            this.callTimeout = timeout;
            return this;
        }

        /** Sync the app served at {@code appUrl} at start (PUT to it, retried until the app is up). */
        public Builder sync(String appUrl) {
            if (appUrl == null || !(appUrl.startsWith("http://") || appUrl.startsWith("https://"))) {
                throw new IllegalArgumentException("an app URL must start with http:// or https://, got " + appUrl);
            }
            syncUrls.add(appUrl);
            return this;
        }

        /** Opens the database, resumes pending work and starts listening. */
        public DevServer start() {
            return new DevServer(this);
        }
    }
}
