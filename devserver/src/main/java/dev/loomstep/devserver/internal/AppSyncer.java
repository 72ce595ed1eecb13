package dev.loomstep.devserver.internal;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Syncs apps given with {@code -u URL}: PUTs to each app endpoint (the SDK then registers itself with
 * {@code POST /fn/register}), retrying every two seconds until the app is up.
 */
public final class AppSyncer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AppSyncer.class);
    private static final Duration EVERY = Duration.ofSeconds(2);

    private final ExecutorService threads = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("loomstep-dev-sync-", 0).factory());
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    public void start(List<String> urls) {
        for (String url : urls) {
            threads.execute(() -> syncUntilUp(url));
        }
    }

    private void syncUntilUp(String url) {
        boolean warned = false;
        while (!Thread.currentThread().isInterrupted()) {
            try {
                var req = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
                        .header("X-Inngest-Server-Kind", "dev")
                        .PUT(HttpRequest.BodyPublishers.noBody()).build();
                HttpResponse<String> res = http.send(req, HttpResponse.BodyHandlers.ofString());
                if (res.statusCode() / 100 == 2) {
                    LOG.info("synced {}", url);
                    return;
                }
                if (!warned) {
                    LOG.warn("syncing {} answered HTTP {}: {}; retrying every {} s", url, res.statusCode(),
                            res.body().strip().lines().findFirst().orElse(""), EVERY.toSeconds());
                    warned = true;
                }
            } catch (InterruptedException e) {
                return;
            } catch (Exception e) {
                if (!warned) {
                    LOG.warn("cannot sync {} yet ({}); retrying every {} s", url, e.getClass().getSimpleName(), EVERY.toSeconds());
                    warned = true;
                }
            }
            try {
                Thread.sleep(EVERY);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    @Override
    public void close() {
        threads.shutdownNow();
        http.shutdownNow();
    }
}
