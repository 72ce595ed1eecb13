package dev.loomstep;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loomstep.protocol.CallRequest;
import dev.loomstep.protocol.CallResult;
import dev.loomstep.protocol.Json;
import dev.loomstep.protocol.StepIds;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Builds executor call requests the way an executor does, and reads answers, for engine tests. */
public final class Calls {
    private final Map<String, JsonNode> steps = new LinkedHashMap<>();
    private final List<String> stack = new ArrayList<>();
    private ObjectNode event = Json.nodes().objectNode().put("name", "test/event").put("id", "evt-1").put("ts", 1_700_000_000_000L);
    private boolean disableImmediate;
    private int attempt;
    private Integer maxAttempts;
    private String queueItemId;
    private String runId = "01RUN";

    public static Calls request() {
        Calls c = new Calls();
        c.event.set("data", Json.nodes().objectNode());
        return c;
    }

    public Calls data(Object data) {
        event.set("data", Json.toTree(data));
        return this;
    }

    /** Memoizes step {@code id} (its {@code repeat}-th use) as {@code {"data": value}}. */
    public Calls memo(String id, int repeat, Object value) {
        return raw(StepIds.hash(id, repeat), Json.nodes().objectNode().set("data", Json.toTree(value)));
    }

    public Calls memo(String id, Object value) {
        return memo(id, 0, value);
    }

    /** Memoizes step {@code id} as a final error. */
    public Calls memoError(String id, String name, String message) {
        ObjectNode err = Json.nodes().objectNode().put("name", name).put("message", message);
        return raw(StepIds.hash(id, 0), Json.nodes().objectNode().set("error", err));
    }

    /** Memoizes step {@code id} with a value sent as is (null for a sleep or a timed-out wait). */
    public Calls raw(String hashedId, JsonNode value) {
        steps.put(hashedId, value == null ? Json.nodes().nullNode() : value);
        stack.add(hashedId);
        return this;
    }

    public Calls disableImmediateExecution() {
        disableImmediate = true;
        return this;
    }

    /** The executor's {@code ctx.qi_id}: with {@code fn_id}, what lets an SDK checkpoint. */
    public Calls queueItem(String id) {
        queueItemId = id;
        return this;
    }

    /** The executor's {@code ctx.run_id} (default {@code 01RUN}). */
    public Calls runId(String id) {
        runId = id;
        return this;
    }

    public Calls attempt(int n) {
        attempt = n;
        return this;
    }

    /** The executor's {@code ctx.max_attempts}: retries + 1. */
    public Calls maxAttempts(int n) {
        maxAttempts = n;
        return this;
    }

    public CallRequest build() {
        ObjectNode body = Json.nodes().objectNode();
        body.set("event", event);
        body.set("events", Json.nodes().arrayNode().add(event));
        body.set("steps", Json.toTree(steps));
        ObjectNode ctx = body.putObject("ctx");
        ctx.put("run_id", runId).put("attempt", attempt).put("fn_id", "fn-uuid")
                .put("disable_immediate_execution", disableImmediate);
        if (maxAttempts != null) {
            ctx.put("max_attempts", maxAttempts);
        }
        if (queueItemId != null) {
            ctx.put("qi_id", queueItemId);
        }
        ObjectNode st = ctx.putObject("stack");
        ArrayNode arr = st.putArray("stack");
        stack.forEach(arr::add);
        st.put("current", stack.size());
        body.put("version", 1);
        return Json.mapper().convertValue(body, CallRequest.class);
    }

    /** The answer body as JSON. */
    public static JsonNode body(CallResult r) {
        try {
            return Json.mapper().readTree(r.body());
        } catch (java.io.IOException e) {
            throw new AssertionError("answer is not JSON: " + new String(r.body(), StandardCharsets.UTF_8), e);
        }
    }
}
