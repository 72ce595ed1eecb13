package dev.loomstep.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The official Inngest JS SDK ({@code testkit/js-peer/server.js}, npm {@code inngest} 4.24.0) running as
 * a child process on a free loopback port, in dev mode, serving app {@code peer}. Tests send it the same
 * call requests they send Loomstep and compare the answers.
 *
 * <pre>{@code
 * try (JsPeer peer = JsPeer.start(Map.of("INNGEST_EVENT_API_BASE_URL", eventApi))) {
 *     JsPeer.Response r = peer.call("peer-seq", "step", Fixtures.body("seq/empty"));
 * }
 * }</pre>
 *
 * {@link #start} skips the calling test (JUnit assumption) when {@code node} or the peer's
 * {@code node_modules} is missing, or fails it when the system property {@code loomstep.requirePeer} is
 * {@code true} (as {@code ./loom test}, which installs them, sets it): see {@link #assumeAvailable()}.
 */
public final class JsPeer implements AutoCloseable {
    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(60);
    private static final String READY = "js-peer ready ";
    /** System property: when {@code true}, a missing peer fails the test instead of skipping it. */
    public static final String REQUIRE_PEER_PROPERTY = PeerProcess.REQUIRE_PEER_PROPERTY;

    private final PeerProcess process;
    private final HttpClient http;

    private JsPeer(PeerProcess process, HttpClient http) {
        this.process = process;
        this.http = http;
    }

    /** An HTTP answer: status, headers (names lower-cased, first value) and body text. */
    public record Response(int status, Map<String, String> headers, String body) {
        /** The header's value, or null; the name is case-insensitive. */
        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    /** Starts the peer with no extra environment. */
    public static JsPeer start() {
        return start(Map.of());
    }

    /**
     * Starts the peer and waits until it answers. {@code env} adds variables such as
     * {@code INNGEST_EVENT_API_BASE_URL} (where {@code step.sendEvent} posts) or
     * {@code INNGEST_API_BASE_URL} (where a PUT syncs); INNGEST_* variables of this JVM are not passed on.
     * Skips the calling test when Node or the peer's dependencies are absent (fails it under
     * {@code -Dloomstep.requirePeer=true}).
     */
    public static JsPeer start(Map<String, String> env) {
        assumeAvailable();
        var all = new HashMap<String, String>();
        all.put("INNGEST_DEV", "1");
        all.putAll(env);
        PeerProcess process = PeerProcess.start("the JS peer",
                List.of(PeerProcess.onPath("node").orElseThrow().toString(), "server.js", "--port", "0"),
                peerDir(), all, READY, START_TIMEOUT);
        return new JsPeer(process, HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build());
    }

    /**
     * Returns when the peer can run here. Otherwise skips the calling test with the reason (a JUnit
     * assumption), or, when the system property {@code loomstep.requirePeer} is {@code true}, fails it with
     * one line saying how to install the peer.
     */
    public static void assumeAvailable() {
        PeerProcess.requireOrSkip("the official JS SDK peer", problem(), "run `npm ci` in testkit/js-peer, or use ./loom test",
                skipReason());
    }

    /**
     * Runs {@code node {script}} in the peer's directory with {@code stdin} as its input and returns what it
     * printed on stdout. Like {@link #start}, skips the calling test when Node or the peer's dependencies
     * (including the npm package {@code requiredModule}) are missing, or fails it under
     * {@code -Dloomstep.requirePeer=true}; a script that exits non-zero fails with its stderr.
     */
    public static String runScript(String script, String requiredModule, String stdin) {
        assumePackage(requiredModule);
        Path dir = peerDir();
        var pb = new ProcessBuilder(PeerProcess.onPath("node").orElseThrow().toString(), script).directory(dir.toFile());
        try {
            Process p = pb.start();
            CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
            CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> readAll(p.getInputStream()));
            try (var in = p.getOutputStream()) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
            if (!p.waitFor(REQUEST_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("node " + script + " did not end within " + REQUEST_TIMEOUT.toSeconds() + " s");
            }
            String stdout = new String(out.get(), StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                throw new IllegalStateException("node " + script + " exited with " + p.exitValue() + ": "
                        + new String(err.get(), StandardCharsets.UTF_8).strip());
            }
            return stdout;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run node " + script + " in " + dir + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running node " + script, e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot read the output of node " + script + ": " + e.getCause(), e.getCause());
        }
    }

    /**
     * As {@link #assumeAvailable()}, and also requires the npm package {@code name} (such as
     * {@code @inngest/middleware-encryption}) in the peer's {@code node_modules}.
     */
    public static void assumePackage(String name) {
        assumeAvailable();
        Path dir = peerDir().resolve("node_modules");
        if (Files.isDirectory(dir.resolve(name))) {
            return;
        }
        String problem = "the npm package " + name + " is not installed in " + dir;
        if (Boolean.getBoolean(REQUIRE_PEER_PROPERTY)) {
            Assertions.fail("the official JS SDK peer is required (-D" + REQUIRE_PEER_PROPERTY + "=true) but " + problem
                    + ": run `npm ci` in testkit/js-peer, or use ./loom test");
        }
        Assumptions.assumeTrue(false, problem + ": the test against it is skipped (run npm ci in testkit/js-peer)");
    }

    private static byte[] readAll(InputStream in) {
        try (in) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Why the peer cannot run here (no node on PATH, or no node_modules), or empty when it can. */
    public static Optional<String> unavailableReason() {
        return problem().map(p -> p + ": " + skipReason());
    }

    private static String skipReason() {
        return "the tests against the official JS SDK are skipped (run ./loom test, or npm ci in " + peerDir()
                + "; node 20+ must be on PATH)";
    }

    private static Optional<String> problem() {
        if (PeerProcess.onPath("node").isEmpty()) {
            return Optional.of("node is not on PATH");
        }
        Path dir = peerDir();
        if (!Files.isRegularFile(dir.resolve("server.js"))) {
            return Optional.of("there is no JS peer at " + dir);
        }
        if (!Files.isDirectory(dir.resolve("node_modules").resolve("inngest"))) {
            return Optional.of("its dependencies are not installed (no " + dir.resolve("node_modules").resolve("inngest") + ")");
        }
        return Optional.empty();
    }

    /**
     * The repository root: system property {@code loomstep.repoRoot} (set by Surefire), else the first
     * directory upwards from the working directory that holds {@code testkit/js-peer}.
     */
    public static Path repoRoot() {
        return PeerProcess.repoRoot();
    }

    private static Path peerDir() {
        return repoRoot().resolve("testkit/js-peer");
    }

    /** The endpoint URL, {@code http://127.0.0.1:{port}/api/inngest}. */
    public String baseUrl() {
        return process.baseUrl();
    }

    /** POSTs a call request, as an executor does: {@code ?fnId={fnId}&stepId={stepId}}. */
    public Response call(String fnId, String stepId, String bodyJson) {
        return request("POST", "fnId=" + fnId + "&stepId=" + stepId, bodyJson, Map.of());
    }

    /** GET: the introspection body. */
    public Response get() {
        return request("GET", null, null, Map.of());
    }

    /** PUT: asks the peer to sync itself to {@code INNGEST_API_BASE_URL}. {@code query} may be null. */
    public Response put(String query, Map<String, String> headers) {
        return request("PUT", query, null, headers);
    }

    /** Any request to the endpoint; {@code query} without the leading '?', {@code body} null for none. */
    public Response request(String method, String query, String body, Map<String, String> headers) {
        var builder = HttpRequest.newBuilder(URI.create(query == null ? baseUrl() : baseUrl() + "?" + query))
                .timeout(REQUEST_TIMEOUT)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            builder.header("Content-Type", "application/json");
        }
        headers.forEach(builder::header);
        try {
            HttpResponse<String> r = http.send(builder.build(), HttpResponse.BodyHandlers.ofString());
            Map<String, String> h = new TreeMap<>();
            r.headers().map().forEach((k, v) -> {
                if (!v.isEmpty()) {
                    h.put(k.toLowerCase(Locale.ROOT), v.get(0));
                }
            });
            return new Response(r.statusCode(), Map.copyOf(h), r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(method + " " + baseUrl() + " failed: " + e.getMessage() + "; peer output:\n" + recentOutput(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted during " + method + " " + baseUrl(), e);
        }
    }

    /** The peer's recent output (its logs), for assertion messages. */
    public String recentOutput() {
        return process.recentOutput();
    }

    /** Stops the peer and every process it started. */
    @Override
    public void close() {
        process.close();
        http.close();
    }
}
