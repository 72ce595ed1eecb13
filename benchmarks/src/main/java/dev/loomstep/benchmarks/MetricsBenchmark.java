package dev.loomstep.benchmarks;

import dev.loomstep.Config;
import dev.loomstep.Function;
import dev.loomstep.Loomstep;
import dev.loomstep.Trigger;
import dev.loomstep.metrics.LoomstepMetrics;
import dev.loomstep.protocol.CallRequest;
import dev.loomstep.protocol.CallResult;
import dev.loomstep.protocol.Json;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * What {@link LoomstepMetrics} costs a call: a function of 11 sequential steps asked with its first 10
 * memoized, so each call replays 10 steps and executes the 11th (answered as {@code StepRun}), with and
 * without the metrics middleware on a {@code SimpleMeterRegistry}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class MetricsBenchmark {
    static final String FN = CallBodies.APP_ID + "-metered";

    @Param({"false", "true"})
    public boolean metrics;

    private Loomstep app;
    private CallRequest request;

    @Setup
    public void setUp() throws IOException {
        Function<?, ?> fn = Function.builder("metered").trigger(Trigger.event("bench/run")).handler((input, step) -> {
            long sum = 0;
            for (int i = 0; i <= 10; i++) {
                int value = i;
                sum += step.run("s" + i, Integer.class, () -> value);
            }
            return sum;
        });
        var b = Loomstep.builder(CallBodies.APP_ID).config(Config.from(Map.of("INNGEST_DEV", "1"))).functions(fn);
        if (metrics) {
            b.middleware(new LoomstepMetrics(new SimpleMeterRegistry()));
        }
        app = b.build();
        request = Json.mapper().readValue(CallBodies.replay(10, false), CallRequest.class);
        CallResult r = executeEleventh();
        if (r.status() != 206 || !new String(r.body(), java.nio.charset.StandardCharsets.UTF_8).contains("\"StepRun\"")) {
            throw new IllegalStateException("expected the 11th step run and answered, got " + r.status());
        }
    }

    @Benchmark
    public CallResult executeEleventh() {
        return app.call(FN, "step", request, null);
    }
}
