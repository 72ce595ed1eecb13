package dev.loomstep.devserver.executor;

import java.net.URI;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;

/**
 * A bound on the SDK calls in flight to one app endpoint — one origin, {@code scheme://host:port}, which is
 * what a server's accept backlog and connection limits are about (two apps served by one process share it).
 * A call past the bound waits its turn, first come first served, before its request is built or a
 * connection opened; it never fails for it. Inngest's executor applies the same backpressure: a Node app
 * that receives 1,000 connections at once refuses or resets some of them, and each would cost a run an
 * attempt (with {@code retries: 0}, the run).
 *
 * <p>Apps served over Connect are not bounded here: the gateway never sends a worker more than its
 * {@code max_worker_concurrency}.
 *
 * <p>It also remembers when each origin last answered, so that a refused connection can be told apart
 * from an app that is down ({@link #answeredWithin}).
 */
public final class AppCalls {
    /** The default bound per app endpoint: well inside Node's accept backlog (511) and a JDK server's (50–200). */
    public static final int DEFAULT_PER_APP = 100;

    private final int perApp;
    private final ConcurrentHashMap<String, Origin> origins = new ConcurrentHashMap<>();

    private static final class Origin {
        final Semaphore permits;
        volatile long lastAnswerNanos;
        volatile boolean answered;

        Origin(int permits) {
            this.permits = new Semaphore(permits, true);
        }
    }

    /** A permit to call an origin; closing it hands the turn to the next waiting call. */
    public interface Permit extends AutoCloseable {
        /** True when the call had to wait for its turn (the bound was reached). */
        boolean waited();

        @Override
        void close();
    }

    private static final Permit NONE = new Permit() {
        @Override
        public boolean waited() {
            return false;
        }

        @Override
        public void close() {}
    };

    /** @param perApp the most calls in flight per app endpoint, at least 1 */
    public AppCalls(int perApp) {
        if (perApp < 1) {
            throw new IllegalArgumentException("the calls per app must be at least 1, got " + perApp);
        }
        this.perApp = perApp;
    }

    public int perApp() {
        return perApp;
    }

    /** Waits until a call to {@code url} may go out (at once when under the bound). */
    Permit acquire(String url) throws InterruptedException {
        String key = origin(url);
        if (key == null) {
            return NONE;
        }
        Origin o = origins.computeIfAbsent(key, k -> new Origin(perApp));
        // tryAcquire with a timeout keeps the order (the untimed one would overtake the calls already waiting).
        boolean waited = !o.permits.tryAcquire(0, java.util.concurrent.TimeUnit.SECONDS);
        if (waited) {
            o.permits.acquire();
        }
        return new Permit() {
            private boolean closed;

            @Override
            public boolean waited() {
                return waited;
            }

            @Override
            public synchronized void close() {
                if (!closed) {
                    closed = true;
                    o.permits.release();
                }
            }
        };
    }

    /** The endpoint at {@code url} answered a call (any HTTP answer): it is up. */
    void answered(String url) {
        String key = origin(url);
        if (key != null) {
            Origin o = origins.computeIfAbsent(key, k -> new Origin(perApp));
            o.lastAnswerNanos = System.nanoTime();
            o.answered = true;
        }
    }

    /** True when the endpoint at {@code url} answered a call within the last {@code millis}. */
    boolean answeredWithin(String url, long millis) {
        String key = origin(url);
        Origin o = key == null ? null : origins.get(key);
        return o != null && o.answered && System.nanoTime() - o.lastAnswerNanos <= millis * 1_000_000L;
    }

    /** Calls to {@code url}'s endpoint in flight now; for tests and diagnostics. */
    int inFlight(String url) {
        String key = origin(url);
        Origin o = key == null ? null : origins.get(key);
        return o == null ? 0 : perApp - o.permits.availablePermits();
    }

    /** {@code scheme://host:port} of an HTTP(S) URL; null for anything else (a Connect worker's placeholder). */
    static String origin(String url) {
        if (url == null) {
            return null;
        }
        try {
            URI u = URI.create(url);
            String scheme = u.getScheme() == null ? null : u.getScheme().toLowerCase(Locale.ROOT);
            if (!"http".equals(scheme) && !"https".equals(scheme) || u.getHost() == null) {
                return null;
            }
            int port = u.getPort() >= 0 ? u.getPort() : "https".equals(scheme) ? 443 : 80;
            return scheme + "://" + u.getHost().toLowerCase(Locale.ROOT) + ":" + port;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
