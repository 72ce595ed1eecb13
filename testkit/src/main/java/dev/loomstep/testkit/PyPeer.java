package dev.loomstep.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * The official Inngest Python SDK ({@code testkit/py-peer/server.py}, PyPI {@code inngest} 0.5.19 on Flask)
 * running as a child process on a free loopback port, in dev mode, serving app {@code py}; or its asyncio
 * variant ({@code async_server.py}, app {@code py-async} on FastAPI): {@link #startAsync}. Its virtual
 * environment ({@code testkit/py-peer/.venv}, git-ignored) is made by {@code ./loom test}.
 *
 * <pre>{@code
 * try (PyPeer peer = PyPeer.start(Map.of("INNGEST_API_BASE_URL", devserverOrigin))) {
 *     devserver.sync(peer.baseUrl());
 * }
 * }</pre>
 *
 * {@link #start} skips the calling test (JUnit assumption) when {@code python3} or the virtual environment
 * is missing, or fails it when the system property {@code loomstep.requirePeer} is {@code true} (as
 * {@code ./loom test} sets): see {@link #assumeAvailable()}.
 */
public final class PyPeer implements AutoCloseable {
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final String READY = "py-peer ready ";
    private static final String ASYNC_READY = "py-async-peer ready ";
    /** The packages of requirements.txt the two servers import. */
    private static final List<String> PACKAGES = List.of("inngest", "flask", "fastapi", "uvicorn");

    private final PeerProcess process;

    private PyPeer(PeerProcess process) {
        this.process = process;
    }

    /**
     * Starts the peer and waits until it answers. {@code env} adds variables such as
     * {@code INNGEST_API_BASE_URL} (where a PUT syncs) and {@code INNGEST_EVENT_API_BASE_URL} (where
     * {@code step.send_event} posts); INNGEST_* variables of this JVM are not passed on.
     */
    public static PyPeer start(Map<String, String> env) {
        assumeAvailable();
        var devMode = new java.util.HashMap<String, String>();
        devMode.put("INNGEST_DEV", "1");
        devMode.putAll(env);
        return new PyPeer(PeerProcess.start("the Python peer", List.of(venvPython().toString(), "-u", "server.py", "--port", "0"),
                peerDir(), devMode, READY, START_TIMEOUT));
    }

    /**
     * Starts {@code async_server.py} instead: app {@code py-async}, every function a coroutine, served by
     * FastAPI under uvicorn. {@code env} as for {@link #start}; {@code INNGEST_STREAMING=force} makes the SDK
     * stream every answer (201, keepalive spaces, then a JSON envelope with the real status and body).
     */
    public static PyPeer startAsync(Map<String, String> env) {
        assumeAvailable();
        var devMode = new java.util.HashMap<String, String>();
        devMode.put("INNGEST_DEV", "1");
        devMode.putAll(env);
        return new PyPeer(PeerProcess.start("the async Python peer",
                List.of(venvPython().toString(), "-u", "async_server.py", "--port", "0"), peerDir(), devMode, ASYNC_READY,
                START_TIMEOUT));
    }

    /**
     * Returns when the peer can run here. Otherwise skips the calling test with the reason (a JUnit
     * assumption), or, when the system property {@code loomstep.requirePeer} is {@code true}, fails it with
     * one line saying how to install the peer.
     */
    public static void assumeAvailable() {
        Optional<String> problem = problem();
        if (problem.isEmpty()) {
            return;
        }
        if (Boolean.getBoolean(JsPeer.REQUIRE_PEER_PROPERTY)) {
            Assertions.fail("the official Python SDK peer is required (-D" + JsPeer.REQUIRE_PEER_PROPERTY + "=true) but "
                    + problem.get() + ": use ./loom test, which makes it (python3 3.10+ with venv must be on PATH)");
        }
        Assumptions.assumeTrue(false, problem.get() + ": the tests against the official Python SDK are skipped (run ./loom test;"
                + " python3 3.10+ with venv must be on PATH)");
    }

    private static Optional<String> problem() {
        Path dir = peerDir();
        if (!Files.isRegularFile(dir.resolve("server.py"))) {
            return Optional.of("there is no Python peer at " + dir);
        }
        if (!Files.isExecutable(venvPython())) {
            return Optional.of(PeerProcess.onPath("python3").isEmpty() ? "python3 is not on PATH"
                    : "its virtual environment is not made (no " + venvPython() + ")");
        }
        for (String pkg : PACKAGES) {
            if (!installed(dir.resolve(".venv/lib"), pkg)) {
                return Optional.of("the " + pkg + " package is not installed in " + dir.resolve(".venv")
                        + " (made from an older requirements.txt?)");
            }
        }
        return Optional.empty();
    }

    private static boolean installed(Path lib, String pkg) {
        if (!Files.isDirectory(lib)) {
            return false;
        }
        try (Stream<Path> pythons = Files.list(lib)) {
            return pythons.anyMatch(p -> Files.isRegularFile(p.resolve("site-packages/" + pkg + "/__init__.py")));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + lib, e);
        }
    }

    private static Path peerDir() {
        return JsPeer.repoRoot().resolve("testkit/py-peer");
    }

    private static Path venvPython() {
        return peerDir().resolve(".venv/bin/python");
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
