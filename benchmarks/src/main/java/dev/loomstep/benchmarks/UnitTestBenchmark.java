package dev.loomstep.benchmarks;

import dev.loomstep.Function;
import dev.loomstep.Trigger;
import dev.loomstep.test.RunResult;
import dev.loomstep.test.RunStatus;
import dev.loomstep.test.TestEngine;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * What a user's unit test costs on loomstep-test's {@link TestEngine}: a 10-step function with a
 * 7-day sleep in the middle, run to completion in virtual time (11 call requests, each replaying the
 * memoized steps so far).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class UnitTestBenchmark {
    private TestEngine engine;

    @Setup
    public void setUp() {
        Function<?, ?> fn = Function.builder("ten-steps").trigger(Trigger.event("bench/unit")).handler((input, step) -> {
            int sum = 0;
            for (int i = 0; i < 10; i++) {
                int n = i;
                sum += step.run("s" + i, Integer.class, () -> n);
                if (i == 4) {
                    step.sleep("a-week", Duration.ofDays(7));
                }
            }
            return sum;
        });
        engine = TestEngine.builder(fn).build();
    }

    @Benchmark
    public RunResult tenStepsAndASevenDaySleep() {
        RunResult r = engine.trigger("bench/unit", Map.of()).run();
        if (r.status() != RunStatus.COMPLETED) {
            throw new IllegalStateException("the benchmarked run did not complete: " + r);
        }
        return r;
    }
}
