package dev.loomstep.devserver.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loomstep.devserver.api.ApiException;
import dev.loomstep.devserver.api.DevApi;
import dev.loomstep.devserver.executor.Lifecycle;
import dev.loomstep.devserver.store.RunRecord;
import dev.loomstep.protocol.Json;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.server.McpStatelessServerFeatures.SyncToolSpecification;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tools the devserver offers coding agents. Each calls the REST API's own operation ({@link DevApi}),
 * so it validates, refuses and answers as the REST API does; its answer is the REST API's JSON, as
 * text for the agent (and as structured content). A refusal is a tool error of one line, and changes
 * nothing.
 */
final class DevTools {
    private static final Logger LOG = LoggerFactory.getLogger(DevTools.class);
    /** The longest an invoke waits for its run; an agent that needs longer asks get_run later. */
    static final int MAX_WAIT_SECONDS = 300;
    private static final int DEFAULT_WAIT_SECONDS = 30;
    private static final String RUN_ID = """
            {"type": "object", "additionalProperties": false, "required": ["run_id"],
             "properties": {"run_id": {"type": "string", "minLength": 1, "description": "The run's id (a ULID)."}}}""";
    private static final String NONE = """
            {"type": "object", "additionalProperties": false, "properties": {}}""";

    private final DevApi api;
    private final Lifecycle lifecycle;
    private final McpJsonMapper json;

    DevTools(DevApi api, Lifecycle lifecycle, McpJsonMapper json) {
        this.api = api;
        this.lifecycle = lifecycle;
        this.json = json;
    }

    List<SyncToolSpecification> all() {
        return List.of(
                tool("send_event", "Send an event to the devserver, as an app's send() does. Every function it triggers"
                        + " starts a run; answers the event's id and the runs it started (function, status).", """
                        {"type": "object", "additionalProperties": false, "required": ["name"], "properties": {
                          "name": {"type": "string", "minLength": 1, "description": "The event name, e.g. \\"shop/order.placed\\"; names starting with inngest/ are reserved."},
                          "data": {"type": "object", "description": "The event's data (a JSON object); {} when left out."},
                          "user": {"type": "object", "description": "Optional user context."},
                          "id": {"type": "string", "description": "Optional event id (an idempotency key); a new ULID when left out."},
                          "ts": {"type": "integer", "description": "Optional time, epoch milliseconds; now when left out."}}}""",
                        false, this::sendEvent),
                tool("list_runs", "List function runs, newest first, with their status, output or error. Filter by"
                        + " status and by function; page with cursor.", """
                        {"type": "object", "additionalProperties": false, "properties": {
                          "status": {"type": "array", "items": {"type": "string", "enum": ["Running", "Completed", "Failed", "Cancelled"]},
                                     "description": "Only runs with one of these statuses."},
                          "function": {"type": "string", "description": "Only runs of this function: its id as list_functions shows it, or its id within its app."},
                          "limit": {"type": "integer", "minimum": 1, "maximum": 100, "description": "At most this many runs (default 20)."},
                          "cursor": {"type": "string", "description": "next_cursor of the previous page."}}}""",
                        true, this::listRuns),
                tool("get_run", "One run with its trigger events, output or error, and every step: its status, output,"
                        + " error, attempts, and what it waits for (sleep, event, invoke).", RUN_ID, true,
                        a -> api.run(a.required("run_id"))),
                tool("invoke_function", "Invoke a function with the given data (as step.invoke does, whatever its"
                        + " triggers) and wait for its run to end: answers the run's status and output or error. A run"
                        + " still going at the timeout is answered as Running; get_run follows it.", """
                        {"type": "object", "additionalProperties": false, "required": ["function_id"], "properties": {
                          "function_id": {"type": "string", "minLength": 1, "description": "The function's id as list_functions shows it, or its id within its app."},
                          "data": {"type": "object", "description": "The invocation's data (event.data in the function)."},
                          "user": {"type": "object", "description": "Optional user context."},
                          "timeout_seconds": {"type": "integer", "minimum": 1, "maximum": 300, "description": "How long to wait for the run to end (default 30)."}}}""",
                        false, this::invoke),
                tool("cancel_run", "Cancel a running run: its pending steps never run, and its function's cancellation"
                        + " hooks fire. A run that has already ended is refused.", RUN_ID, false,
                        a -> api.cancel(a.required("run_id"))),
                tool("rerun", "Start a new run of a run's function with the same triggering events; answers the new run's"
                        + " id. The old run is left as it is. With from_step (a step's id or name), the new run reuses the"
                        + " steps the old run finished before that step and runs it and the rest again.", """
                        {"type": "object", "additionalProperties": false, "required": ["run_id"], "properties": {
                          "run_id": {"type": "string", "minLength": 1, "description": "The run's id (a ULID)."},
                          "from_step": {"type": "string", "minLength": 1, "description": "Optional: rerun from this step (its id or name, as get_run shows it)."}}}""",
                        false, a -> api.rerun(a.required("run_id"), a.optional("from_step"))),
                tool("list_functions", "The functions synced to the devserver: id, name, app, triggers (events, crons)"
                        + " and configuration (retries, concurrency, flow control).", NONE, true, a -> api.functions()),
                tool("list_apps", "The apps synced to the devserver: id, URL or Connect workers, function count, sync"
                        + " status and the last sync or call error.", NONE, true, a -> api.apps()));
    }

    private SyncToolSpecification tool(String name, String description, String schema, boolean readOnly,
            Function<ToolArgs, JsonNode> call) {
        McpSchema.Tool tool = McpSchema.Tool.builder()
                .name(name)
                .description(description)
                .inputSchema(json, schema)
                .annotations(McpSchema.ToolAnnotations.builder().readOnlyHint(readOnly).openWorldHint(false).build())
                .build();
        return new SyncToolSpecification(tool, (context, request) -> {
            try {
                return result(call.apply(new ToolArgs(name, request.arguments())));
            } catch (ApiException e) {
                return error(name + ": " + e.getMessage());
            } catch (ToolArgs.BadArguments e) {
                return error(e.getMessage());
            } catch (RuntimeException e) {
                LOG.error("MCP tool {} failed", name, e);
                return error(name + ": internal error: " + e.getClass().getSimpleName()
                        + (e.getMessage() == null ? "" : ": " + e.getMessage().lines().findFirst().orElse("")));
            }
        });
    }

    private JsonNode sendEvent(ToolArgs a) {
        ObjectNode event = Json.nodes().objectNode();
        event.put("name", a.required("name"));
        event.set("data", a.object("data"));
        event.set("user", a.object("user"));
        event.put("id", a.optional("id"));
        event.set("ts", a.value("ts"));
        JsonNode sent = api.sendEvents(event);
        ObjectNode out = Json.nodes().objectNode();
        String id = sent.path("ids").path(0).asText();
        out.put("event_id", id);
        ArrayNode runs = out.putArray("runs");
        for (RunRecord r : lifecycle.store().runsForEvent(id)) {
            runs.addObject().put("run_id", r.id()).put("function_id", r.functionId()).put("status", r.status().name());
        }
        if (runs.isEmpty()) {
            out.put("message", "no run started: no synced function is triggered by \"" + event.get("name").asText()
                    + "\", or flow control holds the event (debounce, batch, rate limit); list_functions shows the triggers");
        }
        return out;
    }

    private JsonNode listRuns(ToolArgs a) {
        return api.runs(a.list("status"), a.optional("function"), a.optional("cursor"), a.integer("limit", 20, 1, 100));
    }

    /** Invokes through the REST API's invoke, then parks until the run ends or the timeout passes (no polling). */
    private JsonNode invoke(ToolArgs a) {
        String functionId = a.required("function_id");
        ObjectNode data = a.object("data");
        JsonNode user = a.object("user");
        int timeout = a.integer("timeout_seconds", DEFAULT_WAIT_SECONDS, 1, MAX_WAIT_SECONDS);
        ObjectNode input = Json.nodes().objectNode();
        input.set("data", data);
        input.set("user", user);
        JsonNode started = api.invoke(functionId, input).path("data");
        ObjectNode out = Json.nodes().objectNode();
        out.put("event_id", started.path("event_id").asText(null));
        String runId = started.path("run_id").asText(null);
        out.put("run_id", runId);
        if (runId == null) {
            out.put("status", "NotStarted");
            out.put("message", started.path("message").asText("flow control started no run"));
            return out;
        }
        long began = System.nanoTime();
        try {
            lifecycle.runEnds().await(() -> lifecycle.store().run(runId).map(List::of).orElse(List.of()),
                    Duration.ofSeconds(timeout));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException(503, "the devserver is shutting down; ask get_run once it is back");
        }
        JsonNode run = api.run(runId).path("data");
        out.put("function_id", run.path("function_id").asText(null));
        out.put("status", run.path("status").asText());
        out.set("output", run.path("output"));
        out.set("error", run.path("error"));
        out.put("waited_ms", Duration.ofNanos(System.nanoTime() - began).toMillis());
        if ("Running".equals(run.path("status").asText())) {
            out.put("message", "still running after " + timeout + "s; get_run with run_id follows it");
        }
        return out;
    }

    private CallToolResult result(JsonNode answer) {
        CallToolResult.Builder b = CallToolResult.builder().addTextContent(Json.toString(answer));
        if (answer.isObject()) {
            b.structuredContent(Json.mapper().convertValue(answer, Map.class));
        }
        return b.build();
    }

    private static CallToolResult error(String message) {
        String line = message.replace('\r', ' ').replace('\n', ' ');
        return CallToolResult.builder().addTextContent(line.length() > 1_000 ? line.substring(0, 1_000) + "…" : line)
                .isError(true).build();
    }
}
