package dev.loomstep.benchmarks;

import dev.loomstep.Function;
import dev.loomstep.Loomstep;
import dev.loomstep.Trigger;
import dev.loomstep.protocol.CallRequest;
import dev.loomstep.protocol.CallResult;
import dev.loomstep.protocol.Json;
import java.io.IOException;
import java.util.ArrayList;
import java.util.concurrent.Callable;
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
 * Fan-out: a function that runs {@code n} {@code step.run} branches with {@code step.parallel}, asked
 * from an empty state. Each request forks {@code n} branches (a virtual thread each), parks every one on
 * its new step and answers 206 with {@code n} StepPlanned ops; the parked branches are then unwound.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class FanOutBenchmark {
    static final String FN = CallBodies.APP_ID + "-fanout";

    @Param({"10", "100", "1000"})
    public int n;

    private Loomstep app;
    private CallRequest parsed;

    @Setup
    public void setUp() throws IOException {
        int width = n;
        Function<?, ?> fn = Function.builder("fanout").trigger(Trigger.event("bench/run")).handler((input, step) -> {
            var branches = new ArrayList<Callable<Integer>>(width);
            for (int i = 0; i < width; i++) {
                int value = i;
                branches.add(() -> step.run("p" + value, Integer.class, () -> value));
            }
            return step.parallel(branches).stream().mapToLong(Integer::longValue).sum();
        });
        app = CallBodies.app(fn);
        parsed = Json.mapper().readValue(CallBodies.empty(), CallRequest.class);
        String[] ids = new String[n];
        for (int i = 0; i < n; i++) {
            ids[i] = "p" + i;
        }
        CallBodies.requirePlanned(fromParsed(), ids);
    }

    @Benchmark
    public CallResult fromParsed() {
        return app.call(FN, "step", parsed, null);
    }
}
