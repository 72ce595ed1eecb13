package dev.loomstep.spring;

import dev.loomstep.Loomstep;
import dev.loomstep.connect.ConnectException;
import dev.loomstep.connect.ConnectionState;
import dev.loomstep.connect.LoomstepConnect;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.context.SmartLifecycle;
import org.springframework.core.Ordered;

/**
 * The app's {@link LoomstepConnect} worker for the application's lifetime ({@code loomstep.connect.enabled=true}).
 * It connects once the application is ready, on a thread of its own that also keeps a non-web
 * application's JVM alive. The ready event waits for that first try (up to {@link #READY_WAIT}) before
 * the application's own listeners see it, so events they send find the app synced, as with HTTP serving. A try
 * that finds no ready gateway within {@code loomstep.connect.connect-timeout} is logged as one WARN and
 * tried again, so the app may start before its gateway. When the context closes
 * (and so on SIGTERM, through Spring Boot's shutdown hook) it drains before any other bean stops: the
 * gateway sends nothing new, in-flight requests finish and their replies are delivered. Spring bounds that
 * wait by {@code spring.lifecycle.timeout-per-shutdown-phase} (30 s by default); a request still running
 * then is retried by the executor, as after a crash.
 */
public final class LoomstepConnectWorker implements ApplicationListener<ApplicationReadyEvent>, SmartLifecycle, Ordered {
    private static final Logger log = LoggerFactory.getLogger(LoomstepConnectWorker.class);
    /** The pause between a failed try and the next; the worker's own backoff ran within the try already. */
    static final Duration RETRY_DELAY = Duration.ofSeconds(5);
    /** The longest the ready event waits for the first try to connect; the try goes on in the background. */
    static final Duration READY_WAIT = Duration.ofSeconds(10);

    private final Loomstep app;
    private final LoomstepProperties.Connect options;
    private final CountDownLatch ready = new CountDownLatch(1);
    private final CountDownLatch stopRequested = new CountDownLatch(1);
    private final CountDownLatch firstTry = new CountDownLatch(1);
    private final Object lock = new Object();
    private volatile boolean running;
    private volatile boolean stopping;
    private volatile LoomstepConnect worker;
    private volatile String lastError;
    private volatile Instant lastErrorAt;
    private Thread keeper;

    public LoomstepConnectWorker(Loomstep app, LoomstepProperties.Connect options) {
        this.app = app;
        this.options = options;
    }

    /** The worker's state, or {@code null} before the first try to connect. */
    public ConnectionState state() {
        LoomstepConnect w = worker;
        return w == null ? null : w.state();
    }

    /** Why the last try to connect failed, or {@code null} when the last one succeeded (or none ended yet). */
    public String lastError() {
        return lastError;
    }

    public Instant lastErrorAt() {
        return lastErrorAt;
    }

    /** The instance id this worker connects with; {@code null} for the default, the host name. */
    public String instanceId() {
        return options.instanceId();
    }

    @Override
    public void start() {
        synchronized (lock) {
            if (running || stopping) {
                return;
            }
            running = true;
            // Not a daemon: in an application without a web server this thread is what keeps the JVM up.
            keeper = Thread.ofPlatform().daemon(false).name("loomstep-connect").start(this::keep);
        }
    }

    @Override
    public void onApplicationEvent(ApplicationReadyEvent event) {
        ready.countDown();
        try {
            if (!firstTry.await(READY_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                log.info("Loomstep: app \"{}\" is still connecting over Connect after {} s; the application goes on meanwhile",
                        app.appId(), READY_WAIT.toSeconds());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Before the application's own ready listeners. */
    @Override
    public int getOrder() {
        return Ordered.HIGHEST_PRECEDENCE;
    }

    private void keep() {
        try {
            ready.await();
            while (!stopping) {
                LoomstepConnect w;
                try {
                    w = build();
                } catch (RuntimeException e) {
                    // a configuration no try can fix (e.g. a branch key without INNGEST_ENV): say so once, stay down
                    lastError = e.getMessage();
                    lastErrorAt = Instant.now();
                    firstTry.countDown();
                    log.error("Loomstep: app \"{}\" cannot be served over Connect: {}", app.appId(), e.getMessage());
                    break;
                }
                synchronized (lock) {
                    if (stopping) {
                        return;
                    }
                    worker = w;
                }
                try {
                    connectOnce(w);
                    lastError = null;
                    log.info("Loomstep: app \"{}\" ({} mode, {} functions) is served over Connect through {}", app.appId(),
                            app.config().mode(), app.functions().size(), app.config().apiOrigin());
                    break;
                } catch (ConnectException e) {
                    if (stopping) {
                        return;
                    }
                    lastError = e.getMessage();
                    lastErrorAt = Instant.now();
                    log.warn("Loomstep: app \"{}\" could not connect over Connect: {}. Trying again in {} s.", app.appId(),
                            e.getMessage(), RETRY_DELAY.toSeconds());
                    if (stopRequested.await(RETRY_DELAY.toMillis(), TimeUnit.MILLISECONDS)) {
                        return;
                    }
                }
            }
            stopRequested.await();
        } catch (InterruptedException e) {
            // stop() interrupts a try in progress; the drain happens there
        }
    }

    private void connectOnce(LoomstepConnect w) {
        try {
            w.connect();
        } finally {
            firstTry.countDown();
        }
    }

    private LoomstepConnect build() {
        var b = LoomstepConnect.builder(app).connectTimeout(options.connectTimeout());
        if (options.instanceId() != null && !options.instanceId().isBlank()) {
            b.instanceId(options.instanceId());
        }
        if (options.maxConcurrency() != null) {
            b.maxConcurrency(options.maxConcurrency());
        }
        if (options.gatewayUrl() != null) {
            b.gatewayUrl(options.gatewayUrl());
        }
        return b.build();
    }

    /** Drains the worker and returns once it is closed. */
    @Override
    public void stop() {
        LoomstepConnect w;
        synchronized (lock) {
            if (!running) {
                return;
            }
            running = false;
            stopping = true;
            w = worker;
        }
        stopRequested.countDown();
        if (w != null && w.state() != ConnectionState.CLOSED) {
            w.close();
        }
        Thread k = keeper;
        if (k != null) {
            k.interrupt(); // a try still waiting for its first gateway ends here
        }
    }

    /** As {@link #stop()}, off the caller's thread, so that Spring's per-phase shutdown timeout applies to the drain. */
    @Override
    public void stop(Runnable callback) {
        Thread.ofPlatform().name("loomstep-connect-drain").start(() -> {
            try {
                stop();
            } finally {
                callback.run();
            }
        });
    }

    @Override
    public boolean isRunning() {
        return running;
    }
}
