package dev.loomstep.devserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Function;
import dev.loomstep.NonRetriableException;
import dev.loomstep.Trigger;
import dev.loomstep.WaitForEvent;
import dev.loomstep.devserver.auth.ApiAccess;
import dev.loomstep.protocol.Json;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * The devserver's MCP endpoint ({@code /mcp}) driven by the MCP Java SDK's own client over Streamable HTTP
 * on loopback, against a real Loomstep app synced to the devserver: every tool does what the REST API
 * does, and what it refuses leaves the devserver as it was.
 */
@Timeout(60)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class McpEndToEndTest {
    static final String APP = "mcp-app";
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    LoomstepDevServer fixture;
    Api api;
    McpSyncClient mcp;

    @BeforeAll
    void start() {
        var greet = Function.builder("greet").trigger(Trigger.event("mcp/greet")).handler((in, step) -> {
            String hello = step.run("hello", String.class, () -> "hello " + in.data().path("name").asText());
            return Map.of("greeting", hello);
        });
        var twice = Function.builder("twice").trigger(Trigger.event("mcp/twice"))
                .handler((in, step) -> step.run("double", Integer.class, () -> in.data().path("n").asInt() * 2));
        var hold = Function.builder("hold").trigger(Trigger.event("mcp/hold")).handler((in, step) -> step
                .waitForEvent("release", WaitForEvent.of("mcp/release").timeout(Duration.ofMinutes(10))).isPresent());
        var refuses = Function.builder("refuses").trigger(Trigger.event("mcp/refuses")).handler((in, step) -> {
            throw new NonRetriableException("no such customer: " + in.data().path("customer").asText());
        });
        fixture = LoomstepDevServer.builder(APP).start(greet, twice, hold, refuses);
        api = fixture.api;
        mcp = client(fixture.dev.url(), null);
        mcp.initialize();
    }

    @AfterAll
    void stop() {
        if (mcp != null) {
            mcp.closeGracefully();
        }
        if (fixture != null) {
            fixture.close();
        }
    }

    static McpSyncClient client(String base, String bearer) {
        var transport = HttpClientStreamableHttpTransport.builder(base).endpoint("/mcp")
                .httpRequestCustomizer((b, method, uri, body, context) -> {
                    if (bearer != null) {
                        b.header("Authorization", "Bearer " + bearer);
                    }
                })
                .build();
        return McpClient.sync(transport).requestTimeout(Duration.ofSeconds(30)).build();
    }

    /** Calls a tool that must succeed and returns its answer, parsed from the text the agent reads. */
    JsonNode call(String tool, Map<String, Object> args) {
        CallToolResult r = mcp.callTool(new McpSchema.CallToolRequest(tool, args));
        String text = text(r);
        assertFalse(Boolean.TRUE.equals(r.isError()), tool + " failed: " + text);
        try {
            return Json.mapper().readTree(text);
        } catch (Exception e) {
            throw new AssertionError(tool + " answered text that is not JSON: " + text, e);
        }
    }

    /** Calls a tool that must refuse and returns its one-line message. */
    String refused(String tool, Map<String, Object> args) {
        CallToolResult r = mcp.callTool(new McpSchema.CallToolRequest(tool, args));
        String text = text(r);
        assertTrue(Boolean.TRUE.equals(r.isError()), tool + " with " + args + " should have been refused, answered " + text);
        assertFalse(text.contains("\n"), "one line: " + text);
        return text;
    }

    static String text(CallToolResult r) {
        return ((McpSchema.TextContent) r.content().get(0)).text();
    }

    @Test
    void listsTheDevserversToolsWithTheirInputSchemas() {
        assertEquals("loomstep-devserver", mcp.getServerInfo().name());
        var tools = mcp.listTools().tools();
        assertEquals(Set.of("send_event", "list_runs", "get_run", "invoke_function", "cancel_run", "rerun", "list_functions", "list_apps"),
                tools.stream().map(McpSchema.Tool::name).collect(Collectors.toSet()));
        var send = tools.stream().filter(t -> t.name().equals("send_event")).findFirst().orElseThrow();
        assertEquals(java.util.List.of("name"), send.inputSchema().get("required"));
        assertTrue(send.description().contains("event"), send.description());
    }

    @Test
    void sendsAnEventAndReadsItsRunStepByStep() {
        JsonNode sent = call("send_event", Map.of("name", "mcp/greet", "data", Map.of("name", "Ada")));
        assertEquals(1, sent.get("runs").size(), sent.toString());
        String runId = sent.get("runs").get(0).get("run_id").asText();
        assertEquals(APP + "-greet", sent.get("runs").get(0).get("function_id").asText());
        assertEquals(sent.get("event_id").asText(), api.run(runId).get("event_id").asText(), "the run the REST API knows");
        api.awaitStatus(runId, "Completed");

        JsonNode run = call("get_run", Map.of("run_id", runId)).get("data");
        assertEquals("Completed", run.get("status").asText());
        assertEquals("hello Ada", run.get("output").get("greeting").asText());
        JsonNode hello = run.get("steps").get(0);
        assertEquals("hello", hello.get("name").asText());
        assertEquals("hello Ada", hello.get("output").asText(), hello.toString());

        JsonNode completed = call("list_runs", Map.of("status", java.util.List.of("Completed"), "function", "greet"));
        assertTrue(completed.get("data").findValuesAsText("run_id").contains(runId), completed.toString());
        JsonNode failed = call("list_runs", Map.of("status", java.util.List.of("Failed"), "function", "greet"));
        assertFalse(failed.get("data").findValuesAsText("run_id").contains(runId), failed.toString());
        JsonNode page = call("list_runs", Map.of("limit", 1));
        assertEquals(1, page.get("data").size());
    }

    @Test
    void invokesAFunctionAndAnswersItsResultOnceItsRunEnds() {
        JsonNode done = call("invoke_function", Map.of("function_id", "twice", "data", Map.of("n", 21)));
        assertEquals("Completed", done.get("status").asText(), done.toString());
        assertEquals(42, done.get("output").asInt());
        assertEquals(APP + "-twice", done.get("function_id").asText());
        assertEquals("Completed", api.run(done.get("run_id").asText()).get("status").asText());

        JsonNode failed = call("invoke_function", Map.of("function_id", APP + "-refuses", "data", Map.of("customer", "c-9")));
        assertEquals("Failed", failed.get("status").asText(), failed.toString());
        assertTrue(failed.get("error").toString().contains("no such customer: c-9"), failed.toString());
    }

    @Test
    void answersARunStillGoingAtTheTimeoutAsRunning() {
        JsonNode going = call("invoke_function", Map.of("function_id", "hold", "timeout_seconds", 1));
        assertEquals("Running", going.get("status").asText(), going.toString());
        assertTrue(going.get("waited_ms").asLong() >= 900, going.toString());
        assertTrue(going.get("message").asText().contains("get_run"), going.toString());
        call("cancel_run", Map.of("run_id", going.get("run_id").asText()));
    }

    @Test
    void cancelsARunningRunOnceAndRefusesTheSecondCancel() {
        String runId = call("send_event", Map.of("name", "mcp/hold")).get("runs").get(0).get("run_id").asText();
        Api.await(() -> api.run(runId), r -> r.get("steps").size() > 0, "the run waiting for its event");
        JsonNode cancelled = call("cancel_run", Map.of("run_id", runId)).get("data");
        assertEquals("Cancelled", cancelled.get("status").asText(), cancelled.toString());
        assertEquals("Cancelled", api.run(runId).get("status").asText());
        String again = refused("cancel_run", Map.of("run_id", runId));
        assertTrue(again.contains("already ended as Cancelled"), again);
    }

    @Test
    void rerunsARunAsANewRunOfTheSameFunctionAndEvent() {
        String first = call("send_event", Map.of("name", "mcp/greet", "data", Map.of("name", "Grace")))
                .get("runs").get(0).get("run_id").asText();
        api.awaitStatus(first, "Completed");
        JsonNode rerun = call("rerun", Map.of("run_id", first)).get("data");
        String second = rerun.get("run_id").asText();
        assertNotEquals(first, second);
        assertEquals(first, rerun.get("rerun_of").asText());
        JsonNode again = api.awaitStatus(second, "Completed");
        assertEquals("hello Grace", again.get("output").get("greeting").asText());
        assertEquals("Completed", api.run(first).get("status").asText(), "the old run is left as it was");
    }

    @Test
    void rerunsFromAStepReusingTheStepsBeforeIt() {
        String first = call("send_event", Map.of("name", "mcp/greet", "data", Map.of("name", "Ada")))
                .get("runs").get(0).get("run_id").asText();
        api.awaitStatus(first, "Completed");
        JsonNode rerun = call("rerun", Map.of("run_id", first, "from_step", "hello")).get("data");
        assertEquals("hello", rerun.get("from_step").asText());
        JsonNode again = api.awaitStatus(rerun.get("run_id").asText(), "Completed");
        assertEquals("hello Ada", again.get("output").get("greeting").asText());
        assertTrue(refused("rerun", Map.of("run_id", first, "from_step", "nope")).contains("has no step with id or name \"nope\""));
    }

    @Test
    void listsTheSyncedFunctionsAndApps() {
        JsonNode functions = call("list_functions", Map.of()).get("data");
        assertTrue(functions.findValuesAsText("id").containsAll(
                Set.of(APP + "-greet", APP + "-twice", APP + "-hold", APP + "-refuses")), functions.toString());
        JsonNode apps = call("list_apps", Map.of()).get("data");
        JsonNode app = apps.get(0);
        assertEquals(APP, app.get("id").asText(), apps.toString());
        assertEquals(4, app.get("function_count").asInt());
        assertEquals("synced", app.get("sync_status").asText());
    }

    @Test
    void refusesBadArgumentsWithOneClearLineAndChangesNothing() {
        int events = api.get("/v1/events?limit=10000").get("data").size();
        int runs = api.get("/v1/runs?limit=10000").get("data").size();

        assertTrue(refused("send_event", Map.of("data", Map.of("a", 1))).contains("name"));
        assertTrue(refused("send_event", Map.of("name", " ")).contains("\"name\" is required"));
        assertTrue(refused("send_event", Map.of("name", "inngest/function.invoked")).contains("reserved"));
        assertTrue(refused("send_event", Map.of("name", "mcp/greet", "data", "Ada")).contains("data"));
        assertTrue(refused("send_event", Map.of("name", "mcp/greet", "colour", "blue")).contains("colour"));
        assertTrue(refused("invoke_function", Map.of("function_id", "nope")).contains("no synced function with id \"nope\""));
        assertTrue(refused("invoke_function", Map.of("function_id", "twice", "timeout_seconds", 3600)).contains("timeout_seconds"));
        assertTrue(refused("get_run", Map.of("run_id", "01NOPE")).contains("no run with id \"01NOPE\""));
        assertTrue(refused("get_run", Map.of()).contains("run_id"));
        assertTrue(refused("cancel_run", Map.of("run_id", "01NOPE")).contains("no run with id"));
        assertTrue(refused("rerun", Map.of("run_id", "01NOPE")).contains("no run with id"));
        assertTrue(refused("list_runs", Map.of("status", java.util.List.of("Sleeping"))).contains("status"));
        assertTrue(refused("list_runs", Map.of("cursor", "nonsense")).contains("cursor must be the next_cursor"));

        assertEquals(events, api.get("/v1/events?limit=10000").get("data").size(), "no event was stored");
        assertEquals(runs, api.get("/v1/runs?limit=10000").get("data").size(), "no run was started");
    }

    @Test
    void answersHttpItCannotServeWithStatusesAClientUnderstands() throws Exception {
        String url = fixture.dev.url() + "/mcp";
        HttpResponse<String> get = HTTP.send(HttpRequest.newBuilder(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(405, get.statusCode(), "stateless: no stream to open");
        assertEquals("POST", get.headers().firstValue("Allow").orElse(null));
        HttpResponse<String> delete = HTTP.send(HttpRequest.newBuilder(URI.create(url)).DELETE().build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(405, delete.statusCode(), "stateless: no session to end");
        HttpResponse<String> garbage = post(url, "{not json", Map.of());
        assertEquals(400, garbage.statusCode());
        assertTrue(garbage.body().contains("JSON-RPC"), garbage.body());
        HttpResponse<String> foreign = post(url, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}",
                Map.of("Origin", "https://evil.example"));
        assertEquals(403, foreign.statusCode(), "a web page elsewhere cannot drive the devserver: " + foreign.body());
        HttpResponse<String> local = post(url, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}",
                Map.of("Origin", fixture.dev.url()));
        assertEquals(200, local.statusCode(), local.body());
        assertTrue(local.body().contains("send_event"), local.body());
    }

    static HttpResponse<String> post(String url, String body, Map<String, String> headers) throws Exception {
        var b = HttpRequest.newBuilder(URI.create(url)).POST(HttpRequest.BodyPublishers.ofString(body))
                .header("Content-Type", "application/json").header("Accept", "application/json, text/event-stream");
        headers.forEach(b::header);
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void asksForTheSigningKeyInProductionModeAsTheRestApiDoes() throws Exception {
        String key = "signkey-prod-" + "0123456789abcdef".repeat(4);
        try (DevServer prod = DevServer.builder().production().port(0).inMemory().signingKey(key).eventKey("mcp-event-key")
                .apiAccess(ApiAccess.KEY).start()) {
            String url = prod.url() + "/mcp";
            HttpResponse<String> noKey = post(url, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}", Map.of());
            assertEquals(401, noKey.statusCode(), noKey.body());
            assertTrue(noKey.body().contains("Authorization: Bearer"), noKey.body());

            McpSyncClient without = client(prod.url(), null);
            try {
                RuntimeException e = assertThrows(RuntimeException.class, without::initialize);
                assertTrue(causes(e).contains("Authorization error"), causes(e));
            } finally {
                without.close();
            }
            McpSyncClient with = client(prod.url(), key);
            try {
                with.initialize();
                assertEquals(8, with.listTools().tools().size());
                CallToolResult apps = with.callTool(new McpSchema.CallToolRequest("list_apps", Map.of()));
                assertFalse(Boolean.TRUE.equals(apps.isError()), text(apps));
            } finally {
                with.closeGracefully();
            }
        }
    }

    private static String causes(Throwable e) {
        StringBuilder sb = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            sb.append(t.getClass().getSimpleName()).append(": ").append(t.getMessage()).append(" / ");
        }
        return sb.toString();
    }
}
