package dev.loomstep.devserver.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.protocol.Json;
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
 * {@code POST /fn/register}), retrying every two seconds until the app is up, and logs why it could not.
 */
public final class AppSyncer implements AutoCloseable {
    private static final Duration EVERY = Duration.ofSeconds(2);

    private final Logger log;
    private final Duration every;
    private final ExecutorService threads = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("loomstep-dev-sync-", 0).factory());
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** What the PUT says this server is ({@code X-Inngest-Server-Kind}); the SDK expects it back when it registers. */
    private final String serverKind;

    public AppSyncer() {
        this("dev");
    }

    /** @param serverKind "dev", or "cloud" in production mode */
    public AppSyncer(String serverKind) {
        this(LoggerFactory.getLogger(AppSyncer.class), EVERY, serverKind);
    }

    /** For tests: the logger to tell and the pause between tries. */
    AppSyncer(Logger log, Duration every) {
        this(log, every, "dev");
    }

    private AppSyncer(Logger log, Duration every, String serverKind) {
        this.log = log;
        this.every = every;
        this.serverKind = serverKind;
    }

    public void start(List<String> urls) {
        for (String url : urls) {
            threads.execute(() -> syncUntilUp(url));
        }
    }

    /**
     * Tries until the app answers 2xx. Says why a try failed each time the reason changes (the SDK's
     * status and its error line, or the connection error), not on every try, and says when it recovers.
     */
    private volatile boolean closed;

    private void syncUntilUp(String url) {
        String lastReason = null;
        int failed = 0;
        while (!Thread.currentThread().isInterrupted()) {
            String reason;
            try {
                var req = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
                        .header("X-Inngest-Server-Kind", serverKind)
                        .PUT(HttpRequest.BodyPublishers.noBody()).build();
                HttpResponse<String> res = http.send(req, HttpResponse.BodyHandlers.ofString());
                if (res.statusCode() / 100 == 2) {
                    if (failed == 0) {
                        log.info("synced {}", url);
                    } else {
                        log.info("synced {} after {} failed tries", url, failed);
                    }
                    return;
                }
                reason = "HTTP " + res.statusCode() + ": " + errorLine(res.body());
            } catch (InterruptedException e) {
                return;
            } catch (Exception e) {
                reason = "cannot connect (" + e.getClass().getSimpleName()
                        + (e.getMessage() == null ? "" : ": " + e.getMessage().lines().findFirst().orElse("")) + ")";
            }
            if (closed) {
                return; // the failure is our own shutdown (the client was closed under the call), not the app's
            }
            failed++;
            if (!reason.equals(lastReason)) {
                log.warn("syncing {} failed: {}; retrying every {} ms", url, reason, every.toMillis());
                lastReason = reason;
            }
            try {
                Thread.sleep(every);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** The SDK's error line: the JSON body's message (or error), else the body's first line. */
    static String errorLine(String body) {
        String text = body == null ? "" : body.strip();
        try {
            JsonNode json = Json.mapper().readTree(text);
            for (String field : new String[] {"message", "error"}) {
                if (json != null && json.path(field).isTextual()) {
                    return json.get(field).asText().lines().findFirst().orElse("");
                }
            }
        } catch (Exception notJson) {
            // the first line of the text below
        }
        String line = text.lines().findFirst().orElse("(empty body)");
        return line.length() > 300 ? line.substring(0, 300) + "…" : line;
    }

    @Override
    public void close() {
        closed = true;
        threads.shutdownNow();
        http.shutdownNow();
    }
}
