package dev.loomstep.benchmarks.e2e;

import dev.loomstep.Checkpointing;
import dev.loomstep.Function;
import dev.loomstep.Loomstep;
import dev.loomstep.Trigger;
import dev.loomstep.connect.LoomstepConnect;
import dev.loomstep.metrics.LoomstepMetrics;
import dev.loomstep.tracing.ExecutorSpanProcessor;
import dev.loomstep.tracing.TracingMiddleware;
import dev.loomstep.undertow.LoomstepServer;
import java.util.ArrayList;
import java.util.concurrent.Callable;

/**
 * The Loomstep side of the end-to-end comparison, in its own JVM: {@code bench-steps}, triggered by
 * {@code bench/run}, 10 sequential {@code step.run} calls each returning a small value, and their sum
 * as the output — the twin of {@code load/js-e2e-app.js} and Restate's {@code StepsService}; and
 * {@code bench-fanout}, triggered by {@code bench/fanout} with {@code {"n": N}}: {@code step.parallel}
 * over {@code N} {@code step.run} branches, branch {@code i} returning {@code i}, and their sum (the twin
 * of the JS app's {@code fanout} and Restate's {@code FanOutService}, for {@code load/fanout-vs-restate.sh}). Serves
 * on a free loopback port and syncs itself with the devserver at {@code --dev}; or, in mode
 * {@code connect}, is served by a {@link LoomstepConnect} worker over the devserver's Connect gateway.
 *
 * <pre>java -cp benchmarks.jar dev.loomstep.benchmarks.e2e.E2eApp --dev URL --mode classic|checkpointing|ahead|nolinger|traced|metered|connect|default [--steps 10]</pre>
 * ({@code checkpointing}: the JS SDK's one checkpoint per step, {@code Checkpointing.jsDefaults()}; {@code ahead}:
 * Loomstep's default, {@code Checkpointing.defaults()}, the run going on while a checkpoint is in flight, {@code runAhead(16)};
 * {@code nolinger}: the default with {@code linger(0)}, each step's result sent as soon as nothing is in flight (the default before linger);
 * {@code traced}: the default with {@code TracingMiddleware} on an OpenTelemetry SDK whose only span processor is
 * {@code ExecutorSpanProcessor}, so every run's spans go to the devserver as a traced app's would;
 * {@code metered}: the default with {@code LoomstepMetrics} on a Micrometer {@code SimpleMeterRegistry};
 * {@code connect}: Loomstep's default too, over Connect instead of HTTP; {@code default}: no checkpointing setting at
 * all, whatever the SDK's default is when it runs)
 * Prints {@code loomstep-app ready <url>} once synced (the gateway's API URL for {@code connect}).
 */
public final class E2eApp {
    enum Mode { CLASSIC, CHECKPOINTING, AHEAD, NOLINGER, TRACED, METERED, CONNECT, DEFAULT }

    private E2eApp() {}

    /** The data of a {@code bench/fanout} event: the width of the fan-out. */
    record FanOut(int n) {}

    public static void main(String[] args) throws Exception {
        String dev = null;
        Mode mode = null;
        int steps = 10;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--dev" -> dev = args[++i];
                case "--mode" -> mode = Mode.valueOf(args[++i].toUpperCase(java.util.Locale.ROOT));
                case "--steps" -> steps = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        if (dev == null || mode == null) {
            throw new IllegalArgumentException("--dev URL and --mode classic|checkpointing|ahead|nolinger|traced|metered|connect|default are required");
        }
        int count = steps;
        var fn = Function.builder("steps").trigger(Trigger.event("bench/run")).handler((input, step) -> {
            int sum = 0;
            for (int i = 0; i < count; i++) {
                int v = i;
                sum += step.run("step-" + i, Integer.class, () -> v);
            }
            return sum;
        });
        var fanout = Function.builder("fanout").trigger(Trigger.event("bench/fanout")).handler(FanOut.class, (input, step) -> {
            int n = input.data().n();
            var branches = new ArrayList<Callable<Integer>>(n);
            for (int i = 0; i < n; i++) {
                int v = i;
                branches.add(() -> step.run("p" + v, Integer.class, () -> v));
            }
            long sum = 0;
            for (int v : step.parallel(branches)) {
                sum += v;
            }
            return sum;
        });
        Loomstep.Builder builder = Loomstep.builder("bench").dev(dev).functions(fn, fanout);
        var built = new java.util.concurrent.atomic.AtomicReference<Loomstep>();
        switch (mode) {
            case CLASSIC -> builder.checkpointing(Checkpointing.off());
            case CHECKPOINTING -> builder.checkpointing(Checkpointing.jsDefaults());
            case AHEAD, CONNECT -> builder.checkpointing(Checkpointing.defaults());
            case NOLINGER -> builder.checkpointing(Checkpointing.builder().linger(java.time.Duration.ZERO).build());
            case TRACED -> {
                var traces = io.opentelemetry.sdk.trace.SdkTracerProvider.builder()
                        .addSpanProcessor(ExecutorSpanProcessor.of(() -> built.get().config()))
                        .build();
                var otel = io.opentelemetry.sdk.OpenTelemetrySdk.builder().setTracerProvider(traces).build();
                builder.checkpointing(Checkpointing.defaults()).middleware(TracingMiddleware.of(otel));
            }
            case METERED -> builder.checkpointing(Checkpointing.defaults())
                    .middleware(new LoomstepMetrics(new io.micrometer.core.instrument.simple.SimpleMeterRegistry()));
            case DEFAULT -> { } // the SDK's own default, as a user who sets nothing gets
        }
        Loomstep app = builder.build();
        built.set(app);
        if (mode == Mode.CONNECT) {
            var worker = LoomstepConnect.builder(app).instanceId("bench-1").build();
            worker.connect();
            System.out.println("loomstep-app ready " + dev + " mode=connect");
            Thread.currentThread().join();
        }
        LoomstepServer server = LoomstepServer.builder(app).host("127.0.0.1").port(0).start();
        server.register(dev);
        System.out.println("loomstep-app ready " + server.url() + " mode=" + mode.name().toLowerCase(java.util.Locale.ROOT));
        Thread.currentThread().join();
    }
}
