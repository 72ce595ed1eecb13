package dev.loomstep.benchmarks.restate;

import dev.restate.sdk.Context;
import dev.restate.sdk.annotation.Handler;
import dev.restate.sdk.annotation.Service;
import dev.restate.sdk.endpoint.Endpoint;
import dev.restate.sdk.http.vertx.RestateHttpServer;

/**
 * The Restate twin of the benchmark function: {@code steps}, 10 sequential durable steps
 * ({@code ctx.run}), each returning a small value, and their sum as the result.
 *
 * <pre>java -cp ... dev.loomstep.benchmarks.restate.StepsService [--steps 10] [--port 0]</pre>
 * Prints {@code restate-service ready http://127.0.0.1:PORT} once serving.
 */
@Service
public class StepsService {
    private final int steps;

    public StepsService(int steps) {
        this.steps = steps;
    }

    @Handler
    public int run(Context ctx) {
        int sum = 0;
        for (int i = 0; i < steps; i++) {
            int v = i;
            sum += ctx.run("step-" + i, Integer.class, () -> v);
        }
        return sum;
    }

    public static void main(String[] args) {
        int steps = 10;
        int port = 0;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--steps" -> steps = Integer.parseInt(args[++i]);
                case "--port" -> port = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        // One endpoint for both benchmarks' services: e2e-vs-restate.sh calls StepsService, fanout-vs-restate.sh FanOutService.
        int bound = RestateHttpServer.listen(Endpoint.bind(new StepsService(steps)).bind(new FanOutService()), port);
        System.out.println("restate-service ready http://127.0.0.1:" + bound);
    }
}
