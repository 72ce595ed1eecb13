package dev.loomstep.connect.internal;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.loomstep.Config;
import dev.loomstep.connect.protocol.FlushResponse;
import dev.loomstep.connect.protocol.StartRequest;
import dev.loomstep.connect.protocol.StartResponse;
import dev.loomstep.http.signing.SigningKey;
import dev.loomstep.protocol.Headers;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collection;

/**
 * The two HTTP calls of Connect, to the API the app's {@link Config} names: {@code POST /v0/connect/start}
 * (where to connect, with which session) and {@code POST /v0/connect/flush} (a reply whose socket is gone).
 * Both are protobuf bodies with the hashed signing key as bearer, and the env header when there is one.
 * The key in use switches to the fallback after a 401, as the JS worker does.
 */
public final class ApiClient {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    /** The API answered 401: the signing key (or the fallback) is not one it accepts. */
    public static final class AuthRefused extends IOException {
        AuthRefused(String message) {
            super(message);
        }
    }

    /** The API answered 429: this account has as many workers connected as it may. */
    public static final class LimitReached extends IOException {
        LimitReached(String message) {
            super(message);
        }
    }

    private final Config config;
    private final HttpClient http;
    private final String primaryToken;
    private final String fallbackToken;
    private volatile String token;

    public ApiClient(Config config, HttpClient http) {
        this.config = config;
        this.http = http;
        SigningKey primary = SigningKey.ofNullable(config.signingKey());
        SigningKey fallback = SigningKey.ofNullable(config.signingKeyFallback());
        this.primaryToken = primary == null ? null : primary.bearerToken();
        this.fallbackToken = fallback == null ? null : fallback.bearerToken();
        this.token = primaryToken;
    }

    /** Uses the other key from now on; false when there is no other key to try. */
    public boolean switchKey() {
        if (fallbackToken == null) {
            return false;
        }
        token = token == primaryToken ? fallbackToken : primaryToken;
        return true;
    }

    public URI startUri() {
        return api("/v0/connect/start");
    }

    public StartResponse start(Collection<String> excludeGateways) throws IOException, InterruptedException {
        byte[] body = StartRequest.newBuilder().addAllExcludeGateways(excludeGateways).build().toByteArray();
        HttpResponse<byte[]> r = post(startUri(), body);
        if (r.statusCode() == 401) {
            throw new AuthRefused("the API at " + startUri() + (config.env() == null ? "" : " (env " + config.env() + ")")
                    + " refused the signing key (401): " + text(r));
        }
        if (r.statusCode() == 429) {
            throw new LimitReached("the API at " + startUri() + " refused another connection (429: connection limit reached)");
        }
        if (r.statusCode() / 100 != 2) {
            throw new IOException("the API at " + startUri() + " answered " + r.statusCode() + ": " + text(r));
        }
        try {
            return StartResponse.parseFrom(r.body());
        } catch (InvalidProtocolBufferException e) {
            throw new IOException("the API at " + startUri() + " answered a start response that is not protobuf: " + e.getMessage());
        }
    }

    /** Delivers one encoded SDKResponse; returns the request id the API confirms. */
    public String flush(byte[] sdkResponse) throws IOException, InterruptedException {
        URI uri = api("/v0/connect/flush");
        HttpResponse<byte[]> r = post(uri, sdkResponse);
        if (r.statusCode() == 401 && switchKey()) {
            r = post(uri, sdkResponse);
        }
        if (r.statusCode() / 100 != 2) {
            throw new IOException("flush to " + uri + " answered " + r.statusCode() + ": " + text(r));
        }
        try {
            return FlushResponse.parseFrom(r.body()).getRequestId();
        } catch (InvalidProtocolBufferException e) {
            throw new IOException("flush to " + uri + " answered a body that is not protobuf: " + e.getMessage());
        }
    }

    private HttpResponse<byte[]> post(URI uri, byte[] body) throws IOException, InterruptedException {
        var req = HttpRequest.newBuilder(uri).timeout(TIMEOUT)
                .header("Content-Type", "application/protobuf")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        String t = token;
        if (t != null) {
            req.header("Authorization", "Bearer " + t);
        }
        if (config.env() != null && !config.env().isBlank()) {
            req.header(Headers.ENV, config.env());
        }
        try {
            return http.send(req.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            // The JDK's ConnectException for a refused connection has no message of its own: name the API and the cause.
            throw new IOException("cannot reach the API at " + uri + ": " + reason(e), e);
        }
    }

    /** The first message along the causes, else the exception's kind ("ConnectException"). */
    static String reason(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t.getMessage() != null && !t.getMessage().isBlank()) {
                return t.getMessage();
            }
        }
        return e.getClass().getSimpleName();
    }

    private URI api(String path) {
        String origin = config.apiOrigin();
        while (origin.endsWith("/")) {
            origin = origin.substring(0, origin.length() - 1);
        }
        return URI.create(origin + path);
    }

    private static String text(HttpResponse<byte[]> r) {
        String s = new String(r.body(), StandardCharsets.UTF_8).strip().replaceAll("\\s+", " ");
        return s.isEmpty() ? "(no body)" : s.length() > 300 ? s.substring(0, 300) + "…" : s;
    }
}
