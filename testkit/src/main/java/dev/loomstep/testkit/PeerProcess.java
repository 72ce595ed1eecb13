package dev.loomstep.testkit;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * An official SDK's app as a child process serving HTTP on loopback (the JS peer, the Go peer): started,
 * its output kept for error messages, ready once it printed {@code {readyPrefix}{url} …} and answers a GET
 * at that URL, stopped with every process it started. {@link JsPeer} and {@link GoPeer} add how to start
 * their SDK; this class is what they share, with the rule for a peer that cannot run
 * ({@link #requireOrSkip}).
 */
public final class PeerProcess implements AutoCloseable {
    /** System property: when {@code true}, a peer that cannot run fails the test instead of skipping it. */
    public static final String REQUIRE_PEER_PROPERTY = "loomstep.requirePeer";
    private static final int KEPT_OUTPUT_LINES = 60;

    private final String what;
    private final Process process;
    private final String baseUrl;
    private final Deque<String> output;
    private final Thread shutdownHook;

    private PeerProcess(String what, Process process, String baseUrl, Deque<String> output, Thread shutdownHook) {
        this.what = what;
        this.process = process;
        this.baseUrl = baseUrl;
        this.output = output;
        this.shutdownHook = shutdownHook;
    }

    /**
     * Starts {@code command} in {@code dir} (stdout and stderr merged) with {@code env} added to this JVM's
     * environment minus its {@code INNGEST_*} variables, and returns once the process printed a line
     * starting with {@code readyPrefix} followed by its endpoint URL and that URL answers a GET below 500
     * (a worker without an HTTP endpoint prints something else there, e.g. its instance id: then the
     * ready line is enough).
     *
     * @param what a name for messages, e.g. "the JS peer"
     */
    public static PeerProcess start(String what, List<String> command, Path dir, Map<String, String> env,
                                    String readyPrefix, Duration startTimeout) {
        var pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
        pb.environment().keySet().removeIf(k -> k.startsWith("INNGEST_"));
        pb.environment().putAll(env);
        Process process;
        try {
            process = pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + what + " (" + command.get(0) + " in " + dir + "): " + e.getMessage(), e);
        }
        Thread hook = new Thread(() -> destroyTree(process), "peer-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        Deque<String> output = new ConcurrentLinkedDeque<>();
        CompletableFuture<String> ready = new CompletableFuture<>();
        Thread.ofVirtual().name("peer-output").start(() -> pump(what, process.getInputStream(), output, readyPrefix, ready));
        try {
            String url = ready.get(startTimeout.toSeconds(), TimeUnit.SECONDS);
            var peer = new PeerProcess(what, process, url, output, hook);
            if (url.startsWith("http://") || url.startsWith("https://")) {
                peer.awaitAnswering(Instant.now().plus(startTimeout));
            }
            return peer;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stop(process, hook);
            throw new IllegalStateException("interrupted while starting " + what, e);
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            stop(process, hook);
            throw new IllegalStateException(what + " did not start within " + startTimeout.toSeconds() + " s; its output:\n"
                    + lastOutput(output), e);
        }
    }

    /**
     * Returns when {@code problem} is empty. Otherwise fails the calling test with one line, {@code "{sdk}
     * is required (-Dloomstep.requirePeer=true) but {problem}: {fix}"}, when the system property
     * {@code loomstep.requirePeer} is {@code true} (as {@code ./loom test} sets it), or skips it (a JUnit
     * assumption) with {@code skipReason}.
     */
    public static void requireOrSkip(String sdk, Optional<String> problem, String fix, String skipReason) {
        if (problem.isEmpty()) {
            return;
        }
        if (Boolean.getBoolean(REQUIRE_PEER_PROPERTY)) {
            Assertions.fail(sdk + " is required (-D" + REQUIRE_PEER_PROPERTY + "=true) but " + problem.get() + ": " + fix);
        }
        Assumptions.assumeTrue(false, problem.get() + ": " + skipReason);
    }

    /** The first executable named {@code name} (or {@code name.exe}) in a directory of PATH. */
    public static Optional<Path> onPath(String name) {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        for (String dir : path.split(File.pathSeparator)) {
            if (dir.isBlank()) {
                continue;
            }
            for (String file : List.of(name, name + ".exe")) {
                Path candidate = Path.of(dir, file);
                if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                    return Optional.of(candidate);
                }
            }
        }
        return Optional.empty();
    }

    /**
     * The repository root: system property {@code loomstep.repoRoot} (set by Surefire), else the first
     * directory upwards from the working directory that holds {@code testkit/js-peer}.
     */
    public static Path repoRoot() {
        String prop = System.getProperty("loomstep.repoRoot");
        if (prop != null && !prop.isBlank() && Files.isDirectory(Path.of(prop).resolve("testkit/js-peer"))) {
            return Path.of(prop).toAbsolutePath();
        }
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("testkit/js-peer"))) {
                return p;
            }
        }
        throw new IllegalStateException("cannot find the repository root (no testkit/js-peer above " + Path.of("").toAbsolutePath()
                + "); set -Dloomstep.repoRoot");
    }

    /** The endpoint URL the process printed on its ready line (for a worker: the word it printed there). */
    public String baseUrl() {
        return baseUrl;
    }

    /** Whether the process still runs. */
    public boolean isAlive() {
        return process.isAlive();
    }

    /** The last lines the process wrote (stdout and stderr), for assertion messages. */
    public String recentOutput() {
        return lastOutput(output);
    }

    /** Stops the process and every process it started. */
    @Override
    public void close() {
        stop(process, shutdownHook);
    }

    /** Reads the child's output: remembers the last lines for error messages, completes on the ready line. */
    private static void pump(String what, InputStream in, Deque<String> output, String readyPrefix, CompletableFuture<String> ready) {
        try (var reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                output.addLast(line);
                while (output.size() > KEPT_OUTPUT_LINES) {
                    output.pollFirst();
                }
                if (!ready.isDone() && line.startsWith(readyPrefix)) {
                    ready.complete(line.substring(readyPrefix.length()).trim().split("\\s+")[0]);
                }
            }
        } catch (IOException e) {
            // The stream closes when the process dies; the caller reports that through `ready`.
        }
        ready.completeExceptionally(new IllegalStateException(what + " exited before it was ready"));
    }

    private static String lastOutput(Deque<String> output) {
        return output.isEmpty() ? "(no output)" : String.join("\n", output);
    }

    private void awaitAnswering(Instant deadline) throws InterruptedException {
        Exception last = null;
        long pauseMillis = 20;
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
            while (Instant.now().isBefore(deadline)) {
                if (!process.isAlive()) {
                    throw new IllegalStateException(what + " exited with status " + process.exitValue());
                }
                try {
                    // Any answer means it listens: in cloud mode an unsigned GET is a 401.
                    var get = HttpRequest.newBuilder(URI.create(baseUrl)).timeout(Duration.ofSeconds(10)).GET().build();
                    if (http.send(get, HttpResponse.BodyHandlers.discarding()).statusCode() < 500) {
                        return;
                    }
                } catch (IOException e) {
                    last = e;
                }
                Thread.sleep(pauseMillis);
                pauseMillis = Math.min(pauseMillis * 2, 500);
            }
        }
        throw new IllegalStateException(what + " did not answer GET " + baseUrl + " in time", last);
    }

    private static void stop(Process process, Thread hook) {
        destroyTree(process);
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // The JVM is already shutting down; the hook runs anyway.
        }
    }

    private static void destroyTree(Process process) {
        Map<Long, ProcessHandle> all = new LinkedHashMap<>();
        process.descendants().forEach(h -> all.put(h.pid(), h));
        all.values().forEach(ProcessHandle::destroy);
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                all.values().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
