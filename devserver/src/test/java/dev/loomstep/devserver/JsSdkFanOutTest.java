package dev.loomstep.devserver;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.testkit.JsPeer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.Test;

/**
 * A fan-out of 1,000 {@code step.run} on the official JS SDK (npm {@code inngest} 4.24, {@code src/test/js/fanout-app.js}
 * on Node's own HTTP server) with {@code retries: 0}: the SDK plans the branches, the devserver makes 1,000
 * targeted calls. Without a bound on the calls in flight per app, the devserver opened up to 1,000
 * connections at once, Node reset some, and the run failed with "could not reach the SDK". Node's own work
 * is what takes the time here (each targeted call replays the 1,000 {@code step.run} of the function: minutes
 * on a busy machine), not the devserver's.
 */
@Timeout(300)
class JsSdkFanOutTest {

    @Test
    void aThousandBranchFanOutCompletesWithTheRightSumAndNoRetry() throws Exception {
        String checkpointing = "on"; // JS 4.x's default; the parallel steps are planned either way
        JsPeer.assumeAvailable();
        int devPort;
        try (var s = new ServerSocket(0)) {
            devPort = s.getLocalPort();
        }
        String origin = "http://127.0.0.1:" + devPort;
        try (var app = FanApp.start(Map.of("INNGEST_API_BASE_URL", origin, "INNGEST_EVENT_API_BASE_URL", origin,
                "FAN_CHECKPOINTING", checkpointing));
             var dev = DevServer.builder().port(devPort).inMemory().retryDelayScale(0.001).sync(app.url).start()) {
            var api = new Api(dev);
            api.await(() -> api.get("/v1/functions").get("data"), d -> d.size() > 0, "the fan app to sync");

            long began = System.nanoTime();
            String runId = api.runOf(api.send("fan/out", Map.of("n", 1000)));
            JsonNode run = api.awaitEnd(runId, "Completed", Duration.ofMinutes(4), "the fan-out run");
            long millis = (System.nanoTime() - began) / 1_000_000;

            assertEquals(499_500, run.get("output").get("sum").asInt(), run.get("output").toString());
            assertEquals(1000, run.get("output").get("count").asInt());
            assertEquals(1000, run.get("steps").size());
            for (JsonNode step : run.get("steps")) {
                assertEquals(1, step.get("attempts").asInt(), "no call was refused or retried: " + step);
            }
            assertEquals(0, run.get("attempt_errors").size(), run.get("attempt_errors").toString());
            System.out.println("[js-fan-out] checkpointing " + checkpointing + ": 1,000 branches in " + millis + " ms");
        }
    }

    /** {@code src/test/js/fanout-app.js} in Node, resolving {@code inngest} from the JS peer's node_modules. */
    static final class FanApp implements AutoCloseable {
        private static final String READY = "fan-app ready ";
        final Process process;
        final String url;
        private final Deque<String> output;

        private FanApp(Process process, String url, Deque<String> output) {
            this.process = process;
            this.url = url;
            this.output = output;
        }

        static FanApp start(Map<String, String> env) throws Exception {
            var root = JsPeer.repoRoot();
            var pb = new ProcessBuilder("node", root.resolve("devserver/src/test/js/fanout-app.js").toString())
                    .directory(root.resolve("testkit/js-peer").toFile())
                    .redirectErrorStream(true);
            pb.environment().keySet().removeIf(k -> k.startsWith("INNGEST_"));
            pb.environment().put("INNGEST_DEV", "1");
            pb.environment().put("NODE_PATH", root.resolve("testkit/js-peer/node_modules").toString());
            pb.environment().putAll(env);
            Process p = pb.start();
            var output = new ArrayDeque<String>();
            var ready = new CompletableFuture<String>();
            Thread.ofVirtual().name("fan-app-output").start(() -> {
                try (var in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = in.readLine()) != null) {
                        synchronized (output) {
                            output.addLast(line);
                            if (output.size() > 60) {
                                output.removeFirst();
                            }
                        }
                        if (line.startsWith(READY)) {
                            ready.complete(line.substring(READY.length()).trim());
                        }
                    }
                } catch (java.io.IOException ignored) {
                    // the process is gone
                }
                ready.completeExceptionally(new IllegalStateException("the fan app exited"));
            });
            try {
                return new FanApp(p, ready.get(60, TimeUnit.SECONDS), output);
            } catch (Exception e) {
                p.destroyForcibly();
                synchronized (output) {
                    throw new AssertionError("the fan app did not start: " + e + "\n" + String.join("\n", output), e);
                }
            }
        }

        @Override
        public void close() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }
}
