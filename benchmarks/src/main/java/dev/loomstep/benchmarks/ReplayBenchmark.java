package dev.loomstep.benchmarks;

import dev.loomstep.Function;
import dev.loomstep.Loomstep;
import dev.loomstep.Trigger;
import dev.loomstep.protocol.CallRequest;
import dev.loomstep.protocol.CallResult;
import dev.loomstep.protocol.Json;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Replay: a function of {@code n + 1} sequential {@code step.run} calls, asked with its first {@code n}
 * steps memoized and immediate execution disabled, so every request replays {@code n} memoized steps
 * and answers 206 {@code [StepPlanned s<n>]} without running a step body. Measured from the parsed
 * {@link CallRequest} and from the raw body bytes (what the HTTP adapter has, so parsing counts), both
 * called from JMH's platform thread; and from the bytes on a virtual thread, as the HTTP adapter calls:
 * handing the run to its function thread and back costs a platform-thread caller two cross-thread
 * wake-ups that a virtual-thread caller mostly avoids.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class ReplayBenchmark {
    static final String FN = CallBodies.APP_ID + "-replay";
    /** Calls per virtual thread in {@link #fromBytesOnVirtualThread}, to amortise starting it. */
    static final int BATCH = 100;

    @Param({"1", "10", "100", "1000"})
    public int n;

    private Loomstep app;
    private byte[] body;
    private CallRequest parsed;

    @Setup
    public void setUp() throws IOException {
        int steps = n + 1;
        Function<?, ?> fn = Function.builder("replay").trigger(Trigger.event("bench/run")).handler((input, step) -> {
            long sum = 0;
            for (int i = 0; i < steps; i++) {
                int value = i;
                sum += step.run("s" + i, Integer.class, () -> value);
            }
            return sum;
        });
        app = CallBodies.app(fn);
        body = CallBodies.replay(n, true);
        parsed = Json.mapper().readValue(body, CallRequest.class);
        CallBodies.requirePlanned(fromParsed(), "s" + n);
        CallBodies.requirePlanned(fromBytes(), "s" + n);
    }

    @Benchmark
    public CallResult fromParsed() {
        return app.call(FN, "step", parsed, null);
    }

    @Benchmark
    public CallResult fromBytes() throws IOException {
        return app.call(FN, "step", Json.mapper().readValue(body, CallRequest.class), null);
    }

    /** Per request: as {@link #fromBytes()}, but {@value #BATCH} requests in a row on one virtual thread. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void fromBytesOnVirtualThread(Blackhole bh) throws InterruptedException {
        Throwable[] failure = new Throwable[1];
        Thread caller = Thread.ofVirtual().start(() -> {
            try {
                for (int i = 0; i < BATCH; i++) {
                    bh.consume(fromBytes());
                }
            } catch (Throwable t) {
                failure[0] = t;
            }
        });
        caller.join();
        if (failure[0] != null) {
            throw new IllegalStateException("a call on the virtual thread failed", failure[0]);
        }
    }
}
