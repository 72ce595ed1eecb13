package dev.loomstep.devserver;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.protocol.Json;
import dev.loomstep.testkit.JsPeer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The official JS SDK's realtime subscriber ({@code testkit/js-peer/realtime-subscribe.js}:
 * {@code inngest.realtime.subscribe} from npm {@code inngest} 4.24) as a Node process subscribed to one
 * channel's topics on a devserver; each message it receives is one JSON line here.
 */
final class JsRealtimeSubscriber implements AutoCloseable {
    private static final String READY = "realtime-subscriber ready ";
    private final Process process;
    private final Deque<String> output = new ArrayDeque<>();
    private final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();

    private JsRealtimeSubscriber(Process process) {
        this.process = process;
        Thread.ofVirtual().name("js-realtime-output").start(this::pump);
    }

    /** Starts a subscriber of {@code topics} of {@code channel} on {@code dev} and waits until it is connected. */
    static JsRealtimeSubscriber start(DevServer dev, String channel, List<String> topics) throws Exception {
        JsPeer.assumeAvailable();
        var command = new ArrayList<>(List.of("node", "--experimental-websocket", "realtime-subscribe.js", channel, String.join(",", topics)));
        var pb = new ProcessBuilder(command).directory(JsPeer.repoRoot().resolve("testkit/js-peer").toFile()).redirectErrorStream(true);
        pb.environment().keySet().removeIf(k -> k.startsWith("INNGEST_"));
        pb.environment().put("INNGEST_DEV", "1");
        pb.environment().put("INNGEST_API_BASE_URL", dev.url());
        var sub = new JsRealtimeSubscriber(pb.start());
        String first = sub.line(Duration.ofSeconds(30));
        if (first == null || !first.startsWith(READY)) {
            sub.close();
            throw new AssertionError("the JS realtime subscriber did not connect: " + first + "\n" + sub.recentOutput());
        }
        return sub;
    }

    /** The next message the JS SDK handed to its subscriber ({@code kind, channel, topic, data, runId}). */
    JsonNode next(Duration wait) throws Exception {
        String line = line(wait);
        if (line == null || !line.startsWith("message ")) {
            throw new AssertionError("expected a message from the JS subscriber within " + wait + ", got " + line + "\n" + recentOutput());
        }
        return Json.mapper().readTree(line.substring("message ".length()));
    }

    /** The next line, skipping anything but the script's own lines. */
    private String line(Duration wait) throws InterruptedException {
        long deadline = System.nanoTime() + wait.toNanos();
        while (true) {
            String l = lines.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (l == null || l.startsWith("realtime-subscriber") || l.startsWith("message ")) {
                return l;
            }
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
                lines.add(line);
            }
        } catch (java.io.IOException ignored) {
            // the process is gone
        }
        lines.add("realtime-subscriber exited");
    }

    String recentOutput() {
        synchronized (output) {
            return String.join("\n", output);
        }
    }

    @Override
    public void close() {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
    }
}
