package dev.loomstep.benchmarks.load;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loomstep.Config;
import dev.loomstep.Function;
import dev.loomstep.Loomstep;
import dev.loomstep.Trigger;
import dev.loomstep.undertow.LoomstepServer;
import dev.loomstep.protocol.Json;
import dev.loomstep.protocol.StepIds;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Serves the HTTP load benchmark's function with Loomstep, the twin of {@code load/js-replay-server.js}:
 * {@code replay}, N + 1 sequential {@code step.run} calls. Also writes the call-request body both are
 * sent: the first N steps memoized, immediate execution disabled, so each request replays N steps and
 * answers 206 with the (N+1)-th planned.
 *
 * <pre>java -cp benchmarks.jar dev.loomstep.benchmarks.load.LoadTarget --steps 100 --body body.json [--port 0]</pre>
 * Prints {@code loomstep ready <url>} once serving.
 */
public final class LoadTarget {
    private LoadTarget() {}

    public static void main(String[] args) throws Exception {
        if (System.getProperty("org.jboss.logging.provider") == null) {
            System.setProperty("org.jboss.logging.provider", "slf4j"); // Undertow logs like the rest, before it loads
        }
        int steps = 100;
        int port = 0;
        Path body = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--steps" -> steps = Integer.parseInt(args[++i]);
                case "--port" -> port = Integer.parseInt(args[++i]);
                case "--body" -> body = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        if (body != null) {
            Files.write(body, Json.toBytes(body(steps)));
        }
        int last = steps;
        var replay = Function.builder("replay").trigger(Trigger.event("bench/replay")).handler((input, step) -> {
            int sum = 0;
            for (int i = 0; i <= last; i++) {
                int value = i;
                sum += step.run("step-" + i, Integer.class, () -> value);
            }
            return Map.of("sum", sum);
        });
        var app = Loomstep.builder("bench").config(Config.from(Map.of("INNGEST_DEV", "1"))).functions(replay).build();
        var server = LoomstepServer.builder(app).host("127.0.0.1").port(port).start();
        System.out.println("loomstep ready " + server.url());
        Thread.currentThread().join();
    }

    /** A call request with steps 0..n-1 memoized, in stack order, immediate execution disabled. */
    static ObjectNode body(int n) {
        ObjectNode event = Json.nodes().objectNode().put("name", "bench/replay").put("id", "evt-bench").put("ts", 1_700_000_000_000L);
        event.putObject("data");
        ObjectNode root = Json.nodes().objectNode();
        root.set("event", event);
        root.putArray("events").add(event);
        ObjectNode steps = root.putObject("steps");
        ObjectNode ctx = root.putObject("ctx");
        ctx.put("run_id", "01BENCHRUN").put("attempt", 0).put("disable_immediate_execution", true);
        ArrayNode stack = ctx.putObject("stack").putArray("stack");
        for (int i = 0; i < n; i++) {
            String id = StepIds.hash("step-" + i, 0);
            steps.putObject(id).put("data", i);
            stack.add(id);
        }
        ((ObjectNode) ctx.get("stack")).put("current", n);
        root.put("version", 1);
        return root;
    }
}
