package dev.loomstep.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loomstep.Config;
import dev.loomstep.Function;
import dev.loomstep.Loomstep;
import dev.loomstep.protocol.CallResult;
import dev.loomstep.protocol.Json;
import dev.loomstep.protocol.StepIds;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The call-request bodies the benchmarks replay, built the way an executor sends them. The JS peer
 * benchmark ({@code benchmarks/js/bench.js}) builds byte-identical bodies, so both SDKs parse and
 * replay exactly the same input: step {@code i} is {@code "s" + i} (fan-out branch {@code "p" + i})
 * memoized as {@code {"data": i}}.
 */
public final class CallBodies {
    /** Every benchmark app has this id, as the JS peer's client; function ids are {@code bench-<fn>}. */
    public static final String APP_ID = "bench";

    private CallBodies() {}

    /**
     * Writes the bodies the benchmarks replay to a directory ({@code replay-<n>.json}, {@code empty.json}),
     * so the JS peer benchmark can check that it replays the very same bytes.
     */
    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: CallBodies <output directory>");
            System.exit(2);
        }
        Path dir = Files.createDirectories(Path.of(args[0]));
        for (int n : new int[] {1, 10, 100, 1000}) {
            Files.write(dir.resolve("replay-" + n + ".json"), replay(n, true));
        }
        Files.write(dir.resolve("empty.json"), empty());
    }

    /** A request whose first {@code memoized} steps {@code s0 … s(memoized-1)} are memoized. */
    public static byte[] replay(int memoized, boolean disableImmediateExecution) {
        ObjectNode steps = Json.nodes().objectNode();
        ArrayNode stack = Json.nodes().arrayNode();
        for (int i = 0; i < memoized; i++) {
            String hashed = StepIds.hash("s" + i, 0);
            steps.set(hashed, Json.nodes().objectNode().put("data", i));
            stack.add(hashed);
        }
        return body(steps, stack, disableImmediateExecution);
    }

    /** A request with no memoized state: the first call of a run. */
    public static byte[] empty() {
        return body(Json.nodes().objectNode(), Json.nodes().arrayNode(), false);
    }

    private static byte[] body(ObjectNode steps, ArrayNode stack, boolean disableImmediateExecution) {
        ObjectNode event = Json.nodes().objectNode()
                .put("id", "01BENCHEVT0000000000000000").put("name", "bench/run");
        event.putObject("data");
        event.put("ts", 1_700_000_000_000L);
        ObjectNode body = Json.nodes().objectNode();
        body.set("event", event);
        body.putArray("events").add(event);
        body.set("steps", steps);
        ObjectNode ctx = body.putObject("ctx")
                .put("run_id", "01BENCHRUN0000000000000000").put("attempt", 0)
                .put("disable_immediate_execution", disableImmediateExecution).put("use_api", false);
        ObjectNode st = ctx.putObject("stack");
        st.set("stack", stack);
        st.put("current", stack.size());
        body.put("version", 1);
        return Json.toBytes(body);
    }

    /** An app in dev mode (no signing) serving {@code fn}. */
    static Loomstep app(Function<?, ?> fn) {
        return Loomstep.builder(APP_ID).config(Config.from(Map.of("INNGEST_DEV", "1"))).functions(fn).build();
    }

    /**
     * Fails the benchmark setup unless {@code r} is a 206 with exactly {@code ids.length} StepPlanned
     * ops for those user step ids, in order: a benchmark that measures a wrong answer is worthless.
     */
    static void requirePlanned(CallResult r, String... ids) {
        JsonNode ops;
        try {
            ops = Json.mapper().readTree(r.body());
        } catch (IOException e) {
            throw new IllegalStateException("the answer is not JSON", e);
        }
        if (r.status() != 206 || !ops.isArray() || ops.size() != ids.length) {
            throw new IllegalStateException("expected 206 with " + ids.length + " StepPlanned ops, got " + r.status() + " " + abbreviate(ops.toString()));
        }
        for (int i = 0; i < ids.length; i++) {
            JsonNode op = ops.get(i);
            if (!"StepPlanned".equals(op.path("op").asText()) || !StepIds.hash(ids[i], 0).equals(op.path("id").asText())) {
                throw new IllegalStateException("op " + i + " should plan step \"" + ids[i] + "\", got " + abbreviate(op.toString()));
            }
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 300 ? s : s.substring(0, 300) + "…";
    }
}
