package dev.loomstep.devserver;

import dev.loomstep.testkit.JsPeer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The official JS SDK's Connect worker ({@code testkit/js-peer/connect-worker.js}: {@code connect()} from
 * npm {@code inngest} 4.24) as a Node process serving app {@code conn} to a devserver's gateway.
 */
final class JsConnectWorker implements AutoCloseable {
    private static final String READY = "connect-worker ready ";
    private static final boolean NEEDS_WEBSOCKET_FLAG = nodeMajor() < 22;
    private final Process process;
    private final Deque<String> output = new ArrayDeque<>();
    private final CompletableFuture<Void> ready = new CompletableFuture<>();
    private final CompletableFuture<Void> inSlowStep = new CompletableFuture<>();

    private JsConnectWorker(Process process) {
        this.process = process;
        Thread.ofVirtual().name("js-connect-worker-output").start(this::pump);
    }

    /** Starts a worker against {@code dev} and waits until its connection is active. */
    static JsConnectWorker start(DevServer dev, String instanceId, Map<String, String> env) throws Exception {
        JsPeer.assumeAvailable();
        var command = new java.util.ArrayList<String>(List.of("node"));
        if (NEEDS_WEBSOCKET_FLAG) {
            command.add("--experimental-websocket"); // Node 20 has the global WebSocket connect() uses behind a flag
        }
        command.add("connect-worker.js");
        var pb = new ProcessBuilder(command)
                .directory(JsPeer.repoRoot().resolve("testkit/js-peer").toFile())
                .redirectErrorStream(true);
        pb.environment().put("INNGEST_DEV", "1");
        pb.environment().put("INNGEST_API_BASE_URL", dev.url());
        pb.environment().put("INNGEST_EVENT_API_BASE_URL", dev.url());
        pb.environment().put("CONNECT_INSTANCE_ID", instanceId);
        pb.environment().putAll(env);
        var worker = new JsConnectWorker(pb.start());
        try {
            worker.ready.get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            worker.kill();
            throw new AssertionError("the JS Connect worker did not get ready: " + e + "\n" + worker.recentOutput(), e);
        }
        return worker;
    }

    private static int nodeMajor() {
        try {
            Process p = new ProcessBuilder("node", "--version").redirectErrorStream(true).start();
            String v = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            p.waitFor(10, TimeUnit.SECONDS);
            return Integer.parseInt(v.replaceFirst("^v", "").split("\\.")[0]);
        } catch (Exception e) {
            return 0; // unknown: pass the flag, which every Node with a WebSocket accepts
        }
    }

    private void pump() {
        try (var in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                synchronized (output) {
                    output.addLast(line);
                    if (output.size() > 80) {
                        output.removeFirst();
                    }
                }
                if (line.startsWith(READY)) {
                    ready.complete(null);
                }
                if (line.startsWith("connect-worker in slow step")) {
                    inSlowStep.complete(null);
                }
            }
        } catch (java.io.IOException ignored) {
            // the process is gone
        }
        ready.completeExceptionally(new IllegalStateException("the worker exited"));
    }

    /** Waits until the worker (run with HANG_SLOW=1) is inside the {@code slow} function's hanging step. */
    void awaitSlowStep() throws Exception {
        try {
            inSlowStep.get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("the worker never entered the slow step:\n" + recentOutput(), e);
        }
    }

    String recentOutput() {
        synchronized (output) {
            return String.join("\n", output);
        }
    }

    /** SIGTERM: the worker drains (the script hands the signal to {@code connect()}) and exits; waits for that. */
    void terminate() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new AssertionError("the JS worker did not exit within 30 s of SIGTERM:\n" + recentOutput());
        }
    }

    /** SIGKILL: the socket drops without a close frame or a goodbye. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws InterruptedException {
        kill();
    }
}
