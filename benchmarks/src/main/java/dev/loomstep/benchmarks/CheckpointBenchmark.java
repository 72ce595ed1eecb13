package dev.loomstep.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loomstep.Function;
import dev.loomstep.Loomstep;
import dev.loomstep.Trigger;
import dev.loomstep.protocol.AsyncCheckpoint;
import dev.loomstep.protocol.CallRequest;
import dev.loomstep.protocol.CallResult;
import dev.loomstep.protocol.CheckpointApi;
import dev.loomstep.protocol.Json;
import dev.loomstep.protocol.Op;
import dev.loomstep.protocol.StepIds;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The checkpointing hot path without the network: one call request (with {@code ctx.fn_id} and
 * {@code ctx.qi_id}) runs a function of {@code n} sequential {@code step.run} calls back to back, each
 * step checkpointed through a checkpoint API that encodes the body (as the HTTP adapter does) and
 * acknowledges at once; the answer is 206 {@code [RunComplete]}. {@link #encodeCheckpoint} measures the
 * body encoding of one checkpoint of one step alone.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class CheckpointBenchmark {
    static final String FN = CallBodies.APP_ID + "-ckpt";

    @Param({"1", "10", "100"})
    public int n;

    private Loomstep app;
    private CallRequest request;
    private final LongAdder bytes = new LongAdder();
    private CheckpointApi api;
    private AsyncCheckpoint oneStep;

    @Setup
    public void setUp() throws IOException {
        int steps = n;
        Function<?, ?> fn = Function.builder("ckpt").trigger(Trigger.event("bench/run")).handler((input, step) -> {
            long sum = 0;
            for (int i = 0; i < steps; i++) {
                int value = i;
                sum += step.run("s" + i, Integer.class, () -> value);
            }
            return sum;
        });
        app = CallBodies.app(fn);
        ObjectNode body = (ObjectNode) Json.mapper().readTree(CallBodies.empty());
        ((ObjectNode) body.get("ctx")).put("fn_id", "0b0c7a3e-bench").put("qi_id", "bench-qi");
        request = Json.mapper().convertValue(body, CallRequest.class);
        api = checkpoint -> bytes.add(checkpoint.toJson().length);
        oneStep = new AsyncCheckpoint("01BENCHRUN0000000000000000", "0b0c7a3e-bench", "bench-qi", "req", 1,
                1_700_000_000_000L, List.of(new Op.StepRun(StepIds.hash("s0", 0), "s0", "s0", null, Json.nodes().numberNode(42)).toWire()),
                1_700_000_000_001L);
        CallResult r = stepsPerRequest();
        JsonNode answer = Json.mapper().readTree(r.body());
        if (r.status() != 206 || !answer.get(0).path("op").asText().equals("RunComplete") || bytes.sum() == 0) {
            throw new IllegalStateException("the benchmark's run did not checkpoint to completion: " + r.status() + " " + answer);
        }
    }

    /** One request: {@code n} steps executed and checkpointed, then RunComplete. */
    @Benchmark
    public CallResult stepsPerRequest() {
        return app.call(FN, "step", request, null, api);
    }

    @Benchmark
    public byte[] encodeCheckpoint() {
        return oneStep.toJson();
    }

}
