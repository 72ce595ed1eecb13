package dev.loomstep.connect.internal;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.loomstep.Loomstep;
import dev.loomstep.connect.ConnectException;
import dev.loomstep.connect.ConnectionState;
import dev.loomstep.connect.protocol.ConnectMessage;
import dev.loomstep.connect.protocol.GatewayMessageType;
import dev.loomstep.connect.protocol.SDKResponse;
import dev.loomstep.connect.protocol.WorkerReplyAckData;
import dev.loomstep.connect.protocol.WorkerRequestExtendLeaseAckData;
import dev.loomstep.connect.protocol.WorkerStatusData;
import java.io.IOException;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker's life, after the JS worker's reconcile loop: one thread keeps a live connection (connecting,
 * reconnecting with backoff, replacing a draining one) until the worker is closed and nothing is in
 * flight; everything else — requests, acks, heartbeats — happens on the socket's events and on timers
 * and wakes the loop when the connection must change.
 */
public final class Worker {
    static final Logger log = LoggerFactory.getLogger("dev.loomstep.connect.LoomstepConnect");
    /** The gateway gets this many heartbeat intervals to answer before the connection counts as dead (JS: 2). */
    private static final int MISSED_HEARTBEATS = 2;

    private final Loomstep app;
    private final WorkerOptions options;
    private final ApiClient api;
    private final Handshake handshake;
    final RequestRunner runner;
    final ReplyBuffer replies;
    final ScheduledExecutorService timers;
    final Set<String> excludeGateways = ConcurrentHashMap.newKeySet();
    final ConcurrentHashMap<String, InFlight> inFlight = new ConcurrentHashMap<>();
    private final Semaphore wake = new Semaphore(0);
    private final CompletableFuture<Void> firstReady = new CompletableFuture<>();
    private final AtomicBoolean started = new AtomicBoolean();
    private final AtomicBoolean closing = new AtomicBoolean();
    volatile Connection active;
    volatile Connection draining;
    volatile boolean shutdown;
    private volatile boolean stopped;
    private volatile ConnectionState state = ConnectionState.CONNECTING;
    private volatile String lastProblem = "none yet";
    private Thread loop;

    public Worker(Loomstep app, WorkerOptions options, RequestRunner runner, HttpClient http) {
        this.app = app;
        this.options = options;
        this.runner = runner;
        this.api = new ApiClient(app.config(), http);
        this.handshake = new Handshake(api, http, options, WorkerIdentity.of(app, options.instanceId()));
        this.replies = new ReplyBuffer(api, options);
        this.timers = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("loomstep-connect-timers").factory());
    }

    public ConnectionState state() {
        return state;
    }

    public String appId() {
        return app.appId();
    }

    /** Starts the loop and returns once the first connection is ready. */
    public void connect() {
        if (!started.compareAndSet(false, true)) {
            throw new IllegalStateException("connect() was called already on this worker");
        }
        if (!app.config().dev() && app.config().signingKey() == null) {
            stop();
            throw new ConnectException("app \"" + app.appId() + "\" is in cloud mode without a signing key, which Connect needs to "
                    + "authenticate: set INNGEST_SIGNING_KEY, or INNGEST_DEV=1 for a local dev server");
        }
        log.info("connecting app \"{}\" to {} as instance \"{}\"", app.appId(), api.startUri(), handshake.instanceId());
        loop = Thread.ofVirtual().name("loomstep-connect").start(this::run);
        try {
            firstReady.get(options.connectTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            stop();
            throw new ConnectException("no Inngest gateway became ready for app \"" + app.appId() + "\" within "
                    + options.connectTimeout().toSeconds() + " s; last problem: " + lastProblem);
        } catch (ExecutionException e) {
            stop();
            throw e.getCause() instanceof ConnectException c ? new ConnectException(c.getMessage(), c)
                    : new ConnectException("connecting failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stop();
            throw new ConnectException("interrupted while connecting app \"" + app.appId() + "\"");
        }
    }

    /** Drains: WORKER_PAUSE, in-flight requests finish and their replies are delivered, then WORKER_SHUTDOWN. */
    public void close() {
        if (!closing.compareAndSet(false, true)) {
            join();
            return;
        }
        if (loop == null) {
            stop();
            return;
        }
        shutdown = true;
        setState(ConnectionState.PAUSED);
        log.info("draining app \"{}\": {} request(s) in flight", app.appId(), inFlight.size());
        Connection a = active;
        if (a != null) {
            a.socket().send(GatewayMessageType.WORKER_PAUSE, null);
        }
        wake();
        join();
    }

    private void join() {
        Thread t = loop;
        if (t == null) {
            return;
        }
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stops without draining (connect() failed). */
    private void stop() {
        stopped = true;
        wake();
        Thread t = loop;
        if (t != null && t != Thread.currentThread()) {
            t.interrupt();
            join();
        } else {
            closeSockets("UNEXPECTED", GatewaySocket.CLOSE_UNEXPECTED);
            timers.shutdownNow();
            state = ConnectionState.CLOSED;
        }
    }

    void wake() {
        wake.release();
    }

    void setState(ConnectionState s) {
        if (state == ConnectionState.CLOSING || state == ConnectionState.CLOSED) {
            return;
        }
        state = shutdown && s != ConnectionState.CLOSING && s != ConnectionState.CLOSED ? ConnectionState.PAUSED : s;
    }

    private void run() {
        int attempt = 0;
        boolean connectedBefore = false;
        boolean triedFallback = false;
        try {
            while (!stopped && !(shutdown && inFlight.isEmpty())) {
                Connection a = active;
                if (a == null || a.dead) {
                    setState(connectedBefore ? ConnectionState.RECONNECTING : ConnectionState.CONNECTING);
                    Duration delay;
                    try {
                        var conn = new Connection(this);
                        conn.established(handshake.establish(List.copyOf(excludeGateways)));
                        activate(conn, connectedBefore);
                        connectedBefore = true;
                        attempt = 0;
                        firstReady.complete(null);
                        flushInBackground();
                        continue;
                    } catch (ApiClient.AuthRefused e) {
                        lastProblem = e.getMessage();
                        if (!connectedBefore && !triedFallback && api.switchKey()) {
                            triedFallback = true;
                            log.warn("{}; trying the fallback signing key", e.getMessage());
                            continue;
                        }
                        if (!connectedBefore) {
                            firstReady.completeExceptionally(new ConnectException(e.getMessage()
                                    + "; check INNGEST_SIGNING_KEY (and INNGEST_SIGNING_KEY_FALLBACK, INNGEST_ENV)"));
                            return;
                        }
                        api.switchKey();
                        delay = options.backoff(attempt++, Math.random());
                    } catch (Handshake.SyncRefused e) {
                        // The same app would be refused again: a first connect fails with the gateway's reason.
                        lastProblem = e.getMessage();
                        if (!connectedBefore) {
                            firstReady.completeExceptionally(new ConnectException("app \"" + app.appId() + "\": "
                                    + e.getMessage()));
                            return;
                        }
                        delay = options.backoff(attempt++, Math.random());
                    } catch (ApiClient.LimitReached e) {
                        lastProblem = e.getMessage();
                        delay = options.backoff(attempt++, Math.random());
                    } catch (IOException | RuntimeException e) {
                        lastProblem = e instanceof IOException ? e.getMessage() : e.toString();
                        if (e instanceof Handshake.Failed f && f.gatewayGroup != null && !f.gatewayGroup.isEmpty()) {
                            excludeGateways.add(f.gatewayGroup);
                        }
                        delay = options.backoff(attempt++, Math.random());
                    }
                    log.warn("cannot connect app \"{}\" to a gateway (attempt {}): {}; retrying in {} ms", app.appId(), attempt,
                            lastProblem, delay.toMillis());
                    wake.tryAcquire(delay.toMillis(), TimeUnit.MILLISECONDS);
                    continue;
                }
                // Woken by a change, or once a second to hand overdue replies to HTTP.
                wake.tryAcquire(1, TimeUnit.SECONDS);
                wake.drainPermits();
                if (replies.expire(false)) {
                    flushInBackground();
                }
            }
            if (!stopped) {
                finishDrain();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (!firstReady.isDone()) {
                firstReady.completeExceptionally(new ConnectException("the worker was closed before it connected"));
            }
            closeSockets(stopped ? "UNEXPECTED" : "WORKER_SHUTDOWN", stopped ? GatewaySocket.CLOSE_UNEXPECTED : 1000);
            timers.shutdownNow();
            state = ConnectionState.CLOSED;
            log.info("app \"{}\" is disconnected", app.appId());
        }
    }

    private void activate(Connection conn, boolean reconnect) {
        var e = conn.established();
        excludeGateways.remove(e.gatewayGroup());
        Connection old = draining;
        if (old != null) {
            log.info("connection {} replaces draining connection {}", e.connectionId(), old.established().connectionId());
            draining = null;
            old.close(1000, "GATEWAY_DRAINING");
        }
        active = conn;
        conn.startTimers();
        setState(ConnectionState.ACTIVE);
        log.info("{} app \"{}\" to gateway {} (connection {}, group {})", reconnect ? "reconnected" : "connected", app.appId(),
                e.endpoint(), e.connectionId(), e.gatewayGroup());
        conn.socket().send(shutdown ? GatewayMessageType.WORKER_PAUSE : GatewayMessageType.WORKER_READY, null);
        e.handOver(conn);
    }

    private void finishDrain() throws InterruptedException {
        setState(ConnectionState.CLOSING);
        replies.awaitAcks(options.ackDeadline());
        replies.expire(true);
        replies.flush();
    }

    private void closeSockets(String reason, int code) {
        for (Connection c : new Connection[] {active, draining}) {
            if (c != null) {
                c.close(code, reason);
            }
        }
        active = null;
        draining = null;
    }

    void flushInBackground() {
        if (replies.hasBuffered()) {
            Thread.ofVirtual().name("loomstep-connect-flush").start(() -> {
                try {
                    replies.flush();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        }
    }

    /** A connection is gone: never use it again, hand its unacknowledged replies to HTTP, and reconnect. */
    void lost(Connection conn) {
        if (conn.dead) {
            return;
        }
        conn.dead = true;
        conn.stopTimers();
        if (conn.established() != null) {
            conn.socket().close(GatewaySocket.CLOSE_UNEXPECTED, "UNEXPECTED"); // a no-op when it is closed already
        }
        String group = conn.established() == null ? null : conn.established().gatewayGroup();
        if (group != null && !group.isEmpty()) {
            excludeGateways.add(group);
        }
        if (active == conn) {
            active = null;
        }
        if (draining == conn) {
            draining = null;
        }
        replies.expire(true);
        flushInBackground();
        wake();
    }

    /** Delivers a reply over the live connection, else over HTTP; it is never dropped. */
    void deliver(SDKResponse reply) {
        Connection a = active;
        if (a != null && !a.dead) {
            replies.sent(reply);
            if (a.socket().send(GatewayMessageType.WORKER_REPLY, reply)) {
                return;
            }
        }
        log.warn("no live connection for the reply to request {}; delivering it over HTTP", reply.getRequestId());
        replies.buffer(reply);
        flushInBackground();
    }

    void onReplyAck(ConnectMessage m) throws InvalidProtocolBufferException {
        replies.acknowledged(WorkerReplyAckData.parseFrom(m.getPayload()).getRequestId());
    }

    void onExtendLeaseAck(ConnectMessage m) throws InvalidProtocolBufferException {
        var ack = WorkerRequestExtendLeaseAckData.parseFrom(m.getPayload());
        InFlight f = inFlight.get(ack.getRequestId());
        if (f == null) {
            return;
        }
        if (ack.hasNewLeaseId() && !ack.getNewLeaseId().isEmpty()) {
            f.lease.set(ack.getNewLeaseId());
        } else {
            log.error("lease of request {} (run {}, {}) lost: the gateway did not renew it, another worker may run it; "
                    + "this execution goes on but its result may be discarded", f.request.getRequestId(), f.request.getRunId(),
                    f.request.getFunctionSlug());
            f.lease.set(null);
            f.stopExtending();
        }
    }

    WorkerStatusData status() {
        return WorkerStatusData.newBuilder().addAllInFlightRequestIds(inFlight.keySet()).setShutdownRequested(shutdown).build();
    }

    ScheduledFuture<?> every(Duration interval, Runnable task) {
        long ms = Math.max(1, interval.toMillis());
        return timers.scheduleAtFixedRate(() -> Thread.ofVirtual().start(task), ms, ms, TimeUnit.MILLISECONDS);
    }

    int missedHeartbeatLimit() {
        return MISSED_HEARTBEATS;
    }
}
