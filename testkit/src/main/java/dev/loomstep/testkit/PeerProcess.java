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

/**
 * An official SDK's app as a child process, what the SDK peers ({@link JsPeer}, {@link PyPeer}) share: started
 * in dev mode ({@code INNGEST_DEV=1}, this JVM's other INNGEST_* variables not passed on), ready when it printed
 * {@code readyPrefix} followed by its endpoint URL and answers a GET there, stopped with every process it
 * started (also when the JVM exits). Its last output lines are kept for error messages.
 */
final class PeerProcess implements AutoCloseable {
    private static final int KEPT_OUTPUT_LINES = 60;

    private final String name;
    private final Process process;
    private final Deque<String> output;
    private final Thread shutdownHook;
    private volatile String baseUrl;

    private PeerProcess(String name, Process process, Deque<String> output, Thread shutdownHook) {
        this.name = name;
        this.process = process;
        this.output = output;
        this.shutdownHook = shutdownHook;
    }

    /**
     * Starts {@code command} in {@code dir} with {@code env} added, and returns once it is ready; otherwise
     * stops it and throws, with its output, when it exits or is not ready within {@code timeout}.
     * {@code name} ("the JS peer") goes into messages.
     */
    static PeerProcess start(String name, List<String> command, Path dir, Map<String, String> env, String readyPrefix,
                             Duration timeout) {
        var pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
        pb.environment().keySet().removeIf(k -> k.startsWith("INNGEST_"));
        pb.environment().put("INNGEST_DEV", "1");
        pb.environment().putAll(env);
        Process process;
        try {
            process = pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + command.get(0) + " in " + dir + ": " + e.getMessage(), e);
        }
        Deque<String> output = new ConcurrentLinkedDeque<>();
        var peer = new PeerProcess(name, process, output, new Thread(() -> destroyTree(process), "peer-shutdown"));
        Runtime.getRuntime().addShutdownHook(peer.shutdownHook);
        CompletableFuture<String> ready = new CompletableFuture<>();
        Thread.ofVirtual().name("peer-output").start(() -> peer.pump(process.getInputStream(), readyPrefix, ready));
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
            peer.baseUrl = ready.get(timeout.toSeconds(), TimeUnit.SECONDS);
            peer.awaitAnswering(http, Instant.now().plus(timeout));
            return peer;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            peer.close();
            throw new IllegalStateException("interrupted while starting " + name, e);
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            peer.close();
            throw new IllegalStateException(name + " did not start within " + timeout.toSeconds() + " s; its output:\n"
                    + peer.recentOutput(), e);
        }
    }

    /** The first regular executable file named one of {@code names} on PATH. */
    static Optional<Path> onPath(String... names) {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        for (String dir : path.split(File.pathSeparator)) {
            if (dir.isBlank()) {
                continue;
            }
            for (String n : names) {
                Path candidate = Path.of(dir, n);
                if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                    return Optional.of(candidate);
                }
            }
        }
        return Optional.empty();
    }

    /** The endpoint URL from the ready line. */
    String baseUrl() {
        return baseUrl;
    }

    /** The recent output (stdout and stderr), for messages. */
    String recentOutput() {
        return output.isEmpty() ? "(no output)" : String.join("\n", output);
    }

    /** Reads the child's output: remembers the last lines, completes {@code ready} with the URL after the prefix. */
    private void pump(InputStream in, String readyPrefix, CompletableFuture<String> ready) {
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
            // The stream closes when the process dies; the caller learns that through `ready`.
        }
        ready.completeExceptionally(new IllegalStateException(name + " exited before it was ready"));
    }

    private void awaitAnswering(HttpClient http, Instant deadline) throws InterruptedException {
        Exception last = null;
        long pauseMillis = 20;
        var get = HttpRequest.newBuilder(URI.create(baseUrl)).timeout(Duration.ofSeconds(10)).GET().build();
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited with status " + process.exitValue());
            }
            try {
                // Any answer means it listens: in cloud mode (INNGEST_DEV=0) an unsigned GET is a 401.
                if (http.send(get, HttpResponse.BodyHandlers.discarding()).statusCode() < 500) {
                    return;
                }
            } catch (IOException e) {
                last = e;
            }
            Thread.sleep(pauseMillis);
            pauseMillis = Math.min(pauseMillis * 2, 500);
        }
        throw new IllegalStateException(name + " did not answer GET " + baseUrl + " in time", last);
    }

    /** Stops the process and every process it started. */
    @Override
    public void close() {
        destroyTree(process);
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
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
