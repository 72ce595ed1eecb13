package dev.loomstep.tracing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loomstep.Event;
import dev.loomstep.Loomstep;
import dev.loomstep.protocol.CallRequest;
import dev.loomstep.protocol.CallResult;
import dev.loomstep.protocol.Json;
import dev.loomstep.protocol.RawRequest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Drives a run through the real engine the way an executor does: call, memoize the step the call ran,
 * call again, until the function returns or fails. Each call carries the given headers.
 */
final class Calls {
    private Calls() {}

    /** The final answer's status and body, after every call the run took (their count in {@code calls}). */
    record Outcome(int status, JsonNode body, int calls) {}

    static Outcome run(Loomstep app, String fnId, String runId, Event event, Map<String, String> headers) {
        Map<String, JsonNode> steps = new LinkedHashMap<>();
        List<String> stack = new ArrayList<>();
        for (int call = 1; call <= 20; call++) {
            var ctx = new CallRequest.CallContext(runId, 0, fnId, false, false, 1, new CallRequest.Stack(stack, stack.size()), null);
            var request = new CallRequest(event, List.of(event), Map.copyOf(steps), ctx, 2, false);
            Map<String, List<String>> raw = new LinkedHashMap<>();
            headers.forEach((k, v) -> raw.put(k, List.of(v)));
            CallResult result = app.call(fnId, "step", request, new RawRequest("POST", "http://127.0.0.1/api/inngest", raw, new byte[0]));
            JsonNode body = parse(result.body());
            if (result.status() != 206) {
                return new Outcome(result.status(), body, call);
            }
            for (JsonNode op : body) {
                ObjectNode memo = Json.nodes().objectNode();
                if (op.has("error")) {
                    memo.set("error", op.get("error"));
                } else {
                    memo.set("data", op.get("data"));
                }
                steps.put(op.get("id").asText(), memo);
                stack.add(op.get("id").asText());
            }
        }
        throw new AssertionError("the run did not end within 20 calls");
    }

    private static JsonNode parse(byte[] body) {
        try {
            return Json.mapper().readTree(body);
        } catch (java.io.IOException e) {
            throw new AssertionError("the engine answered unreadable JSON: " + new String(body), e);
        }
    }
}
