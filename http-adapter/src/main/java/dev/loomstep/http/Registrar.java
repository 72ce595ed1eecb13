package dev.loomstep.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Config;
import dev.loomstep.Loomstep;
import dev.loomstep.http.signing.SigningKey;
import dev.loomstep.protocol.Headers;
import dev.loomstep.protocol.Json;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Out-of-band sync: POSTs the app configuration to the executor's {@code /fn/register} (spec §4.3.2). */
final class Registrar {
    static final String SYNC_KIND = "X-Inngest-Sync-Kind";

    private final Config config;
    private final HttpClient client;
    private final Duration timeout;

    Registrar(Config config, HttpClient client, Duration timeout) {
        this.config = config;
        this.client = client;
        this.timeout = timeout;
    }

    /**
     * Registers {@code body} at {@code {apiOrigin}/fn/register}. Authenticates with the signing key's
     * bearer token when there is one, and again with the fallback key's when the primary is refused.
     */
    SyncResult register(String apiOrigin, byte[] body, String deployId, String expectedServerKind, String framework) {
        String target = stripSlash(apiOrigin) + "/fn/register"
                + (deployId == null ? "" : "?deployId=" + URLEncoder.encode(deployId, StandardCharsets.UTF_8));
        URI uri;
        try {
            uri = URI.create(target);
        } catch (IllegalArgumentException e) {
            throw new SyncException("cannot sync: the API origin \"" + apiOrigin + "\" is not a valid URL", -1, e);
        }
        List<String> tokens = new ArrayList<>();
        List<String> sent = new ArrayList<>(); // what the tokens were made of, to name in a refusal (never the key)
        for (String key : new String[] {config.signingKey(), config.signingKeyFallback()}) {
            SigningKey k = SigningKey.ofNullable(key);
            if (k != null) {
                try {
                    tokens.add(k.bearerToken());
                    sent.add((sent.isEmpty() ? "INNGEST_SIGNING_KEY" : "INNGEST_SIGNING_KEY_FALLBACK")
                            + " (hash " + k.hashedTail().substring(0, 12) + "…)");
                } catch (IllegalStateException e) {
                    throw new SyncException("cannot sync: " + e.getMessage(), -1, e);
                }
            }
        }
        if (tokens.isEmpty()) {
            tokens.add(null);
        }
        HttpResponse<byte[]> res = null;
        for (String token : tokens) {
            var req = HttpRequest.newBuilder(uri)
                    .timeout(timeout)
                    .header("Content-Type", "application/json")
                    .header("User-Agent", Loomstep.SDK_HEADER)
                    .header(Headers.SDK, Loomstep.SDK_HEADER)
                    .header(Headers.FRAMEWORK, framework)
                    .header(SYNC_KIND, "out_of_band")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body));
            if (token != null) {
                req.header("Authorization", "Bearer " + token);
            }
            if (config.env() != null) {
                req.header(Headers.ENV, config.env());
            }
            if (expectedServerKind != null && !expectedServerKind.isBlank()) {
                req.header(Headers.EXPECTED_SERVER_KIND, expectedServerKind);
            }
            try {
                res = client.send(req.build(), HttpResponse.BodyHandlers.ofByteArray());
            } catch (IOException e) {
                throw new SyncException("cannot sync: " + uri + " did not answer: " + reason(e), -1, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SyncException("cannot sync: interrupted while waiting for " + uri, -1, e);
            }
            if (res.statusCode() != 401 && res.statusCode() != 403) {
                break;
            }
        }
        JsonNode answer = parse(res.body());
        if (res.statusCode() != 200) {
            String error = answer != null && answer.path("error").isTextual() ? answer.get("error").asText()
                    : answer != null && answer.path("message").isTextual() ? answer.get("message").asText()
                    : null;
            String said = error != null ? oneLine(error) : "sync failed: " + uri + " answered " + res.statusCode();
            if (res.statusCode() == 401 || res.statusCode() == 403) {
                // Say what was sent: "send Authorization: Bearer…" alone reads as if no key had been sent at all.
                said = sent.isEmpty()
                        ? "the executor at " + uri + " refused the sync without a signing key (none is configured: set"
                                + " INNGEST_SIGNING_KEY to the executor's signing key, or use dev mode): " + said
                        : "the executor at " + uri + " refused the bearer token of " + String.join(", then of ", sent)
                                + " with " + res.statusCode() + ": " + said + " — check that the key is this executor's"
                                + " signing key (for a Loomstep devserver: its --signing-key; for Inngest: the environment's key)";
            }
            throw new SyncException(said, res.statusCode(), null);
        }
        boolean modified = answer != null && answer.path("modified").asBoolean(false);
        return new SyncResult("Successfully synced.", modified);
    }

    private static JsonNode parse(byte[] body) {
        try {
            return body.length == 0 ? null : Json.mapper().readTree(body);
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * Why a call got no answer, in one line: the JDK's connect failures carry no message (a refused
     * connection is a bare {@code ConnectException}), so the class and the cause's message say it.
     */
    static String reason(Throwable e) {
        StringBuilder why = new StringBuilder(e.getClass().getSimpleName());
        String message = e.getMessage();
        if (message == null && e.getCause() != null && e.getCause().getMessage() != null) {
            message = e.getCause().getMessage();
        }
        if (message != null && !message.isBlank()) {
            why.append(": ").append(message);
        }
        return oneLine(why.toString());
    }

    static String oneLine(String s) {
        String line = s.replaceAll("\\s+", " ").trim();
        return line.length() > 500 ? line.substring(0, 497) + "..." : line;
    }

    private static String stripSlash(String s) {
        return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }
}
