package dev.loomstep.http;

import dev.loomstep.Config;
import dev.loomstep.Loomstep;
import dev.loomstep.protocol.AsyncCheckpoint;
import dev.loomstep.protocol.CheckpointApi;
import dev.loomstep.protocol.Headers;
import dev.loomstep.protocol.StaleDispatchException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Posts checkpoints to {@code {apiOrigin}/v1/checkpoint/{runId}/async} with the client and bearer
 * tokens of the adapter's other API calls. Like the JS SDK it tries up to five times with exponential
 * backoff and jitter (100 ms base), except after a 409, which means the dispatch is stale.
 */
final class CheckpointClient implements CheckpointApi {
    static final int ATTEMPTS = 5;
    private static final long BASE_DELAY_MILLIS = 100;

    private final Config config;
    private final HttpClient client;
    private final Duration timeout;
    /** Computed on first use: a malformed key then fails checkpoints (which fall back), not the endpoint. */
    private volatile List<String> tokens;

    CheckpointClient(Config config, HttpClient client, Duration timeout) {
        this.config = config;
        this.client = client;
        this.timeout = timeout;
    }

    @Override
    public void send(AsyncCheckpoint checkpoint) {
        String url = config.apiOrigin() + checkpoint.path();
        byte[] body = checkpoint.toJson();
        String last = null;
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            try {
                int status = post(URI.create(url), body);
                if (status == 409) {
                    throw new StaleDispatchException("Stale dispatch: checkpoint returned 409 (run " + checkpoint.runId() + ")");
                }
                if (status >= 200 && status < 300) {
                    return;
                }
                last = "answered " + status;
            } catch (IOException e) {
                last = "did not answer: " + Registrar.reason(e);
            }
            if (attempt < ATTEMPTS) {
                pause(BASE_DELAY_MILLIS * (1L << (attempt - 1)) + ThreadLocalRandom.current().nextLong(BASE_DELAY_MILLIS));
            }
        }
        throw new IllegalStateException("POST " + url + " " + last + " (" + ATTEMPTS + " attempts)");
    }

    private int post(URI uri, byte[] body) throws IOException {
        List<String> t = tokens;
        if (t == null) {
            tokens = t = ApiTokens.of(config);
        }
        int status = -1;
        for (String token : t) {
            var req = HttpRequest.newBuilder(uri).timeout(timeout)
                    .header("Content-Type", "application/json")
                    .header("User-Agent", Loomstep.SDK_HEADER)
                    .header(Headers.SDK, Loomstep.SDK_HEADER)
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body));
            if ("http".equalsIgnoreCase(uri.getScheme())) {
                // Left at HTTP/2, the client asks a cleartext executor to upgrade (h2c) on every checkpoint,
                // which none does (ours, inngest dev): two headers and the upgrade path per step for nothing.
                // JS's fetch speaks HTTP/1.1 there too.
                req.version(HttpClient.Version.HTTP_1_1);
            }
            if (token != null) {
                req.header("Authorization", "Bearer " + token);
            }
            if (config.env() != null) {
                req.header(Headers.ENV, config.env());
            }
            try {
                status = client.send(req.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
            if (status != 401 && status != 403) {
                break;
            }
        }
        return status;
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
