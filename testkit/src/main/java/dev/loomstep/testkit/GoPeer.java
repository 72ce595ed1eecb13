package dev.loomstep.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The official Inngest Go SDK ({@code testkit/go-peer}, module {@code github.com/inngest/inngestgo}
 * v0.16.0) as a child process on a free loopback port, in dev mode against a devserver, serving app
 * {@code go}. The first {@link #start} in a JVM builds it ({@code go build} into
 * {@code testkit/go-peer/target/go-peer}; Go fetches the modules into its module cache the first time).
 *
 * <pre>{@code
 * try (GoPeer peer = GoPeer.start("http://127.0.0.1:8288", Map.of())) {
 *     // the devserver at that URL syncs peer.baseUrl()
 * }
 * }</pre>
 *
 * {@link #start} skips the calling test (JUnit assumption) when {@code go} is not on PATH or the build
 * fails, or fails it with one line saying why when the system property {@code loomstep.requirePeer} is
 * {@code true} (as {@code ./loom test} sets it): see {@link #assumeAvailable()}.
 */
public final class GoPeer implements AutoCloseable {
    /** The inngestgo version {@code testkit/go-peer/go.mod} pins. */
    public static final String SDK_VERSION = "v0.16.0";
    private static final Duration BUILD_TIMEOUT = Duration.ofMinutes(5);
    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
    private static final String READY = "go-peer ready ";
    private static final String CONNECT_READY = "go-connect ready ";
    private static final int KEPT_BUILD_LINES = 5;

    /** The build's outcome in this JVM: empty when built, else why not; null before the first try. */
    private static Optional<String> built;

    private final PeerProcess process;

    private GoPeer(PeerProcess process) {
        this.process = process;
    }

    /**
     * Builds the peer (once per JVM) and starts it against the devserver at {@code devServerUrl}
     * ({@code INNGEST_DEV}: where it syncs, sends events and checkpoints); {@code env} adds variables,
     * e.g. {@code PEER_CHECKPOINTING=on}. INNGEST_* variables of this JVM are not passed on.
     */
    public static GoPeer start(String devServerUrl, Map<String, String> env) {
        assumeAvailable();
        var all = new HashMap<String, String>();
        all.put("INNGEST_DEV", devServerUrl);
        all.putAll(env);
        return new GoPeer(PeerProcess.start("the Go peer", List.of(binary().toString(), "--port", "0"), peerDir(), all,
                READY, START_TIMEOUT));
    }

    /**
     * Builds the peer (once per JVM) and starts it as a Connect worker serving app {@code goconn} to the
     * devserver at {@code devServerUrl} (it asks {@code POST /v0/connect/start} for its gateway); returns once
     * its connection is active.
     */
    public static GoPeer startConnect(String devServerUrl, String instanceId) {
        assumeAvailable();
        return new GoPeer(PeerProcess.start("the Go Connect worker", List.of(binary().toString(), "--connect", instanceId), peerDir(),
                Map.of("INNGEST_DEV", devServerUrl), CONNECT_READY, START_TIMEOUT));
    }

    /**
     * Returns when the peer is built and can run here (building it if needed). Otherwise skips the
     * calling test with the reason, or fails it with one line under {@code -Dloomstep.requirePeer=true}.
     */
    public static void assumeAvailable() {
        PeerProcess.requireOrSkip("the official Go SDK peer", problem(),
                "install Go 1.25 or newer (go.dev/dl; Debian's golang package is too old) and run ./loom test",
                "the tests against the official Go SDK are skipped (go 1.25+ must be on PATH; ./loom test builds "
                        + peerDir() + ")");
    }

    private static synchronized Optional<String> problem() {
        if (built == null) {
            built = build();
        }
        return built;
    }

    private static Optional<String> build() {
        Optional<Path> go = PeerProcess.onPath("go");
        if (go.isEmpty()) {
            return Optional.of("go is not on PATH");
        }
        Path dir = peerDir();
        if (!Files.isRegularFile(dir.resolve("go.mod"))) {
            return Optional.of("there is no Go peer at " + dir);
        }
        var pb = new ProcessBuilder(go.get().toString(), "build", "-buildvcs=false", "-o", binary().toString(), ".")
                .directory(dir.toFile())
                .redirectErrorStream(true);
        pb.environment().keySet().removeIf(k -> k.startsWith("INNGEST_"));
        try {
            Process p = pb.start();
            var out = new StringBuilder();
            Thread reader = Thread.ofVirtual().start(() -> {
                try {
                    out.append(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
                } catch (IOException e) {
                    // the build died; its status says so
                }
            });
            if (!p.waitFor(BUILD_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                return Optional.of("`go build` in " + dir + " took more than " + BUILD_TIMEOUT.toMinutes() + " minutes");
            }
            reader.join(Duration.ofSeconds(5));
            if (p.exitValue() != 0) {
                List<String> lines = out.toString().lines().filter(l -> !l.isBlank()).toList();
                String last = String.join(" | ", lines.subList(Math.max(0, lines.size() - KEPT_BUILD_LINES), lines.size()));
                return Optional.of("`go build` in " + dir + " failed (exit " + p.exitValue() + "): " + last);
            }
            return Optional.empty();
        } catch (IOException e) {
            return Optional.of("cannot run go: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.of("interrupted while building the Go peer");
        }
    }

    private static Path peerDir() {
        return PeerProcess.repoRoot().resolve("testkit/go-peer");
    }

    private static Path binary() {
        return peerDir().resolve("target").resolve("go-peer");
    }

    /** The endpoint URL, {@code http://127.0.0.1:{port}/api/inngest}. */
    public String baseUrl() {
        return process.baseUrl();
    }

    /** The peer's recent output (its logs), for assertion messages. */
    public String recentOutput() {
        return process.recentOutput();
    }

    /** Stops the peer. */
    @Override
    public void close() {
        process.close();
    }
}
