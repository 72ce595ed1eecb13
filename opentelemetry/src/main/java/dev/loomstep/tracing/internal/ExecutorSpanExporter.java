package dev.loomstep.tracing.internal;

import dev.loomstep.Config;
import dev.loomstep.protocol.Headers;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Collection;
import java.util.HexFormat;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * POSTs spans to the executor's userland traces route ({@code /v1/traces/userland}) as OTLP/HTTP JSON, with
 * {@code Authorization: Bearer} the hashed signing key as every SDK call to the executor's API carries.
 * A refused or failed export is logged once per kind of failure and dropped: tracing never fails a run.
 */
public final class ExecutorSpanExporter implements SpanExporter {
    public static final String PATH = "/v1/traces/userland";
    private static final Logger LOG = LoggerFactory.getLogger(ExecutorSpanExporter.class);

    private final Supplier<Config> configs;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private volatile Target target;
    private volatile int lastFailure;

    /** Where spans go, resolved from the app's configuration at the first export. */
    private record Target(URI uri, String bearer, String env) {}

    private ExecutorSpanExporter(Supplier<Config> configs) {
        this.configs = configs;
    }

    /** Exports to the executor {@code configs} names, asked once, at the first export (the app may not exist yet). */
    public static ExecutorSpanExporter of(Supplier<Config> configs) {
        return new ExecutorSpanExporter(configs);
    }

    private Target target() {
        Target t = target;
        if (t == null) {
            Config config = configs.get();
            t = new Target(URI.create(config.apiOrigin() + PATH), config.signingKey() == null ? null : bearer(config.signingKey()),
                    config.env());
            target = t;
        }
        return t;
    }

    /** {@code signkey-{env}-{hex}} → {@code signkey-{env}-{sha256 of the hex-decoded tail}}, as the API expects. */
    static String bearer(String signingKey) {
        var m = java.util.regex.Pattern.compile("^(signkey-\\w+-)?(.*)$").matcher(signingKey);
        m.matches();
        String prefix = m.group(1) == null ? "" : m.group(1);
        try {
            byte[] raw = HexFormat.of().parseHex(m.group(2));
            return prefix + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(raw));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the signing key's part after \"" + prefix + "\" is not hex, so it cannot be"
                    + " hashed into an API token; copy the key again from the Inngest dashboard");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no SHA-256", e);
        }
    }

    @Override
    public CompletableResultCode export(Collection<SpanData> spans) {
        if (spans.isEmpty()) {
            return CompletableResultCode.ofSuccess();
        }
        Target t;
        try {
            t = target();
        } catch (RuntimeException e) {
            failed(-2, spans.size() + " span(s) not sent: no executor to send them to (" + e.getMessage() + ")");
            return CompletableResultCode.ofFailure();
        }
        URI uri = t.uri();
        var req = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(OtlpJson.encode(spans)));
        if ("http".equalsIgnoreCase(uri.getScheme())) {
            // Left at HTTP/2 the client offers a cleartext executor an h2c upgrade on every export, which none
            // accepts (seen against Inngest's dev server): HTTP/1.1 there, as the checkpoint client does.
            req.version(HttpClient.Version.HTTP_1_1);
        }
        if (t.bearer() != null) {
            req.header("Authorization", "Bearer " + t.bearer());
        }
        if (t.env() != null) {
            req.header(Headers.ENV, t.env());
        }
        try {
            HttpResponse<String> res = http.send(req.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            if (res.statusCode() / 100 == 2) {
                lastFailure = 0;
                return CompletableResultCode.ofSuccess();
            }
            failed(res.statusCode(), spans.size() + " span(s) refused by " + uri + ": HTTP " + res.statusCode() + " " + res.body());
        } catch (IOException e) {
            failed(-1, spans.size() + " span(s) not sent: " + uri + " did not answer (" + e + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return CompletableResultCode.ofFailure();
    }

    private void failed(int kind, String message) {
        if (lastFailure != kind) {
            lastFailure = kind;
            LOG.warn("run traces for the executor: {}", message);
        } else {
            LOG.debug("run traces for the executor: {}", message);
        }
    }

    @Override
    public CompletableResultCode flush() {
        return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode shutdown() {
        return CompletableResultCode.ofSuccess();
    }
}
