package dev.loomstep.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loomstep.Checkpointing;
import dev.loomstep.Function;
import dev.loomstep.Loomstep;
import dev.loomstep.Trigger;
import dev.loomstep.protocol.CallRequest;
import dev.loomstep.protocol.CallResult;
import dev.loomstep.protocol.CheckpointApi;
import dev.loomstep.protocol.Json;
import java.io.IOException;
import java.util.ArrayList;
import java.util.concurrent.Callable;
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
 * A whole {@code n}-way fan-out of {@code step.run} branches (branch i returns i, the run returns the
 * sum) from its first call to its end, in process, no network, two ways:
 * <ul>
 *   <li>{@link #inCall}: the default checkpointing runs every branch body side by side in the one call
 *       and posts their results through a checkpoint API that encodes each body as the HTTP adapter does;
 *       the answer is {@code RunComplete}.</li>
 *   <li>{@link #planned}: what the same SDK does for an executor without checkpointing, as the executor
 *       drives it: the discovery call answering {@code n} {@code StepPlanned} ops, {@code n} targeted calls
 *       each parsing the run state so far from its bytes, and the last call returning the sum. The
 *       executor's own work is not in it, only the SDK's.</li>
 * </ul>
 * Both in one run, so their ratio is what moving the fan-out into the call saves on the SDK's side.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class FanOutInCallBenchmark {
    static final String FN = CallBodies.APP_ID + "-fan";

    @Param({"10", "100", "1000"})
    public int n;

    private Loomstep inCallApp;
    private Loomstep plannedApp;
    private CallRequest first;
    private final LongAdder bytes = new LongAdder();
    private CheckpointApi api;
    private String[] hashed;

    @Setup
    public void setUp() throws IOException {
        int branches = n;
        Function.Builder fn = Function.builder("fan").trigger(Trigger.event("bench/run"));
        Function<?, ?> function = fn.handler((input, step) -> {
            var bodies = new ArrayList<Callable<Integer>>(branches);
            for (int i = 0; i < branches; i++) {
                int value = i;
                bodies.add(() -> step.run("p" + value, Integer.class, () -> value));
            }
            long sum = 0;
            for (int v : step.parallel(bodies)) {
                sum += v;
            }
            return sum;
        });
        inCallApp = CallBodies.app(function);
        plannedApp = Loomstep.builder(CallBodies.APP_ID).config(dev.loomstep.Config.from(java.util.Map.of("INNGEST_DEV", "1")))
                .checkpointing(Checkpointing.off()).functions(function).build();
        ObjectNode body = (ObjectNode) Json.mapper().readTree(CallBodies.empty());
        ((ObjectNode) body.get("ctx")).put("fn_id", "0b0c7a3e-bench").put("qi_id", "bench-qi");
        first = Json.mapper().convertValue(body, CallRequest.class);
        api = checkpoint -> bytes.add(checkpoint.toJson().length);
        hashed = new String[n];
        for (int i = 0; i < n; i++) {
            hashed[i] = dev.loomstep.protocol.StepIds.hash("p" + i, 0);
        }
        long expected = (long) n * (n - 1) / 2;
        check(inCall(), expected, "in the call");
        check(planned(), expected, "planned");
    }

    private static void check(CallResult r, long expected, String how) throws IOException {
        JsonNode answer = Json.mapper().readTree(r.body());
        JsonNode result = r.status() == 206 ? answer.get(answer.size() - 1).get("data") : answer;
        if ((r.status() != 200 && r.status() != 206) || result == null || result.asLong() != expected) {
            throw new IllegalStateException("the fan-out " + how + " did not end with the sum: " + r.status() + " " + answer);
        }
    }

    /** One call runs every branch and ends the run. */
    @Benchmark
    public CallResult inCall() {
        return inCallApp.call(FN, "step", first, null, api);
    }

    /** Discovery, {@code n} targeted calls on a growing state, then the call that returns the sum. */
    @Benchmark
    public CallResult planned() throws IOException {
        ObjectNode steps = Json.nodes().objectNode();
        ArrayNode stack = Json.nodes().arrayNode();
        plannedApp.call(FN, "step", request(steps, stack, false), null);
        for (int i = 0; i < n; i++) {
            CallResult r = plannedApp.call(FN, hashed[i], request(steps, stack, true), null);
            JsonNode op = Json.mapper().readTree(r.body()).get(0);
            steps.set(hashed[i], Json.nodes().objectNode().set("data", op.get("data")));
            stack.add(hashed[i]);
        }
        return plannedApp.call(FN, "step", request(steps, stack, true), null);
    }

    /** The request an executor sends with this state, through its bytes, as the SDK would receive it. */
    private static CallRequest request(ObjectNode steps, ArrayNode stack, boolean disableImmediate) throws IOException {
        ObjectNode event = Json.nodes().objectNode().put("id", "01BENCHEVT0000000000000000").put("name", "bench/run");
        event.putObject("data");
        event.put("ts", 1_700_000_000_000L);
        ObjectNode body = Json.nodes().objectNode();
        body.set("event", event);
        body.putArray("events").add(event);
        body.set("steps", steps);
        ObjectNode ctx = body.putObject("ctx").put("run_id", "01BENCHRUN0000000000000000").put("attempt", 0)
                .put("disable_immediate_execution", disableImmediate).put("use_api", false);
        ObjectNode st = ctx.putObject("stack");
        st.set("stack", stack);
        st.put("current", stack.size());
        body.put("version", 1);
        return Json.mapper().readValue(Json.toBytes(body), CallRequest.class);
    }
}
