package dev.loomstep.devserver;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.loomstep.flow.CancelOn;
import dev.loomstep.protocol.Json;
import dev.loomstep.protocol.StepIds;
import dev.loomstep.protocol.SyncRequest;
import dev.loomstep.protocol.SyncRequest.FunctionConfig;
import dev.loomstep.protocol.SyncRequest.Retries;
import dev.loomstep.protocol.SyncRequest.Runtime;
import dev.loomstep.protocol.SyncRequest.StepConfig;
import dev.loomstep.protocol.SyncRequest.TriggerConfig;
import dev.loomstep.protocol.WireError;
import dev.loomstep.protocol.WireOp;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A hand-written stand-in for an SDK endpoint, served over real HTTP on loopback: each function is a
 * script that reads the call request (memoized steps, attempt, stepId) and answers what an SDK would
 * (206 ops, 200, errors, or garbage). It exercises the real executor end to end until Loomstep's own
 * engine and HTTP adapter can serve real functions. It also records every call and checks the
 * executor's ordering rule: a discovery call of a run never overlaps another call of that run.
 */
final class FakeSdk implements AutoCloseable {
    private final String app;
    private final HttpServer server;
    private final Map<String, Fn> functions = new LinkedHashMap<>();
    private final List<Call> calls = new CopyOnWriteArrayList<>();
    private final List<String> violations = new CopyOnWriteArrayList<>();
    private final Map<String, AtomicInteger> discovering = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> targeted = new ConcurrentHashMap<>();
    private final AtomicInteger maxTargetedInFlight = new AtomicInteger();
    private final AtomicInteger targetedInFlight = new AtomicInteger();

    /** One function's behaviour. */
    @FunctionalInterface
    interface Script {
        Answer answer(Call call) throws Exception;
    }

    /** A call request as the SDK received it. */
    record Call(String fnId, String stepId, JsonNode body, Map<String, String> headers, int bodyBytes) {
        JsonNode steps() {
            return body.path("steps");
        }

        /** True when the step with this user id is memoized. */
        boolean has(String userStepId) {
            return steps().has(StepIds.hash(userStepId, 0));
        }

        /** The memoized value sent for a step (as sent: {data}, {error}, an event or null). */
        JsonNode memo(String userStepId) {
            return steps().get(StepIds.hash(userStepId, 0));
        }

        /** The {@code data} of a memoized run step. */
        JsonNode data(String userStepId) {
            return memo(userStepId).get("data");
        }

        JsonNode event() {
            return body.path("event");
        }

        String runId() {
            return body.path("ctx").path("run_id").asText();
        }

        int attempt() {
            return body.path("ctx").path("attempt").asInt();
        }

        boolean discovery() {
            return "step".equals(stepId);
        }

        boolean targets(String userStepId) {
            return StepIds.hash(userStepId, 0).equals(stepId);
        }

        boolean disableImmediate() {
            return body.path("ctx").path("disable_immediate_execution").asBoolean();
        }

        List<String> stack() {
            var out = new ArrayList<String>();
            body.path("ctx").path("stack").path("stack").forEach(n -> out.add(n.asText()));
            return out;
        }
    }

    /** What the fake answers. */
    record Answer(int status, byte[] body, Map<String, String> headers) {}

    /** A function of the fake app. */
    final class Fn {
        final String id;
        final List<TriggerConfig> triggers = new ArrayList<>();
        Integer retries;
        List<CancelOn> cancel;
        Script script = call -> done(null);

        Fn(String id) {
            this.id = id;
        }

        String compositeId() {
            return app + "-" + id;
        }

        Fn on(String event) {
            triggers.add(new TriggerConfig(event, null, null));
            return this;
        }

        Fn on(String event, String expression) {
            triggers.add(new TriggerConfig(event, expression, null));
            return this;
        }

        Fn retries(int n) {
            retries = n;
            return this;
        }

        Fn cancelOn(CancelOn c) {
            cancel = List.of(c);
            return this;
        }

        Fn handler(Script s) {
            script = s;
            return this;
        }
    }

    FakeSdk(String app) throws IOException {
        this.app = app;
        this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 200);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/api/inngest", this::serve);
        server.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/api/inngest";
    }

    Fn fn(String id) {
        return functions.computeIfAbsent(id, Fn::new);
    }

    List<Call> calls() {
        return calls;
    }

    List<Call> calls(String fnId) {
        return calls.stream().filter(c -> c.fnId().equals(app + "-" + fnId)).toList();
    }

    List<String> violations() {
        return violations;
    }

    int maxTargetedInFlight() {
        return maxTargetedInFlight.get();
    }

    /** The register body this app sends. */
    SyncRequest syncRequest() {
        var fns = new ArrayList<FunctionConfig>();
        for (Fn f : functions.values()) {
            String callUrl = url() + "?fnId=" + f.compositeId() + "&stepId=step";
            var step = new StepConfig("step", "step", new Runtime("http", callUrl), f.retries == null ? null : new Retries(f.retries));
            fns.add(new FunctionConfig(f.compositeId(), f.id, List.copyOf(f.triggers), Map.of("step", step),
                    null, null, null, null, null, f.cancel, null, null, null, null));
        }
        return new SyncRequest(url(), "0.1", "ping", "fake:v0.0.1", "fake", app, null, fns, null);
    }

    /** Registers this app with the devserver, as an SDK does when it is synced. */
    JsonNode sync(DevServer dev) throws Exception {
        var res = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(dev.url() + "/fn/register"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(Json.toBytes(syncRequest()))).build(),
                HttpResponse.BodyHandlers.ofString());
        if (res.statusCode() != 200) {
            throw new AssertionError("sync failed: " + res.statusCode() + " " + res.body());
        }
        return Json.mapper().readTree(res.body());
    }

    private void serve(HttpExchange ex) throws IOException {
        try (ex) {
            if (ex.getRequestMethod().equals("PUT")) {
                respond(ex, new Answer(500, "{\"message\":\"fake SDK does not sync itself\"}".getBytes(StandardCharsets.UTF_8), Map.of()));
                return;
            }
            if (ex.getRequestMethod().equals("GET")) {
                // Introspection (the devserver asks after each sync): a dev-mode SDK's answer; not a call.
                respond(ex, new Answer(200, ("{\"function_count\":" + functions.size()
                        + ",\"has_event_key\":false,\"has_signing_key\":false,\"mode\":\"dev\"}").getBytes(StandardCharsets.UTF_8), Map.of()));
                return;
            }
            Map<String, String> query = new HashMap<>();
            String rawQuery = ex.getRequestURI().getRawQuery();
            if (rawQuery != null) {
                for (String p : rawQuery.split("&")) {
                    int eq = p.indexOf('=');
                    if (eq > 0) {
                        query.put(p.substring(0, eq), java.net.URLDecoder.decode(p.substring(eq + 1), StandardCharsets.UTF_8));
                    }
                }
            }
            byte[] raw = ex.getRequestBody().readAllBytes();
            JsonNode body = Json.mapper().readTree(raw);
            Map<String, String> headers = new HashMap<>();
            ex.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(), v.isEmpty() ? null : v.get(0)));
            Call call = new Call(query.get("fnId"), query.get("stepId"), body, headers, raw.length);
            calls.add(call);
            Fn fn = functions.values().stream().filter(f -> f.compositeId().equals(call.fnId())).findFirst().orElse(null);
            if (fn == null) {
                respond(ex, fail(500, "Error", "no function " + call.fnId(), false));
                return;
            }
            String run = call.runId();
            AtomicInteger disc = discovering.computeIfAbsent(run, k -> new AtomicInteger());
            AtomicInteger targ = targeted.computeIfAbsent(run, k -> new AtomicInteger());
            if (call.discovery()) {
                if (disc.incrementAndGet() > 1 || targ.get() > 0) {
                    violations.add("run " + run + ": a discovery call overlapped another call");
                }
            } else {
                targ.incrementAndGet();
                if (disc.get() > 0) {
                    violations.add("run " + run + ": a targeted call overlapped a discovery call");
                }
                maxTargetedInFlight.accumulateAndGet(targetedInFlight.incrementAndGet(), Math::max);
            }
            Answer answer;
            try {
                answer = fn.script.answer(call);
            } catch (Exception e) {
                answer = fail(500, e.getClass().getSimpleName(), String.valueOf(e.getMessage()), false);
            } finally {
                if (call.discovery()) {
                    disc.decrementAndGet();
                } else {
                    targ.decrementAndGet();
                    targetedInFlight.decrementAndGet();
                }
            }
            respond(ex, answer);
        }
    }

    private static void respond(HttpExchange ex, Answer a) throws IOException {
        if (a == HANG_UP) {
            // Nothing is sent: the server closes the connection of a handler that throws.
            throw new IOException("hanging up, as asked");
        }
        ex.getResponseHeaders().add("Content-Type", "application/json");
        ex.getResponseHeaders().add("X-Inngest-Sdk", "fake:v0.0.1");
        a.headers().forEach((k, v) -> ex.getResponseHeaders().add(k, v));
        ex.sendResponseHeaders(a.status(), a.body().length == 0 ? -1 : a.body().length);
        try (OutputStream os = ex.getResponseBody()) {
            os.write(a.body());
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }

    // ---------------------------------------------------------------- answers

    static String hash(String userStepId) {
        return StepIds.hash(userStepId, 0);
    }

    static Answer ops(WireOp... ops) {
        return new Answer(206, Json.toBytes(List.of(ops)), Map.of());
    }

    static WireOp stepRun(String id, Object data) {
        return new WireOp(hash(id), "StepRun", id, id, null, Json.toTree(data), null);
    }

    static WireOp stepError(String id, String message) {
        return new WireOp(hash(id), "StepError", id, id, null, null, WireError.of("Error", message));
    }

    static WireOp stepFailed(String id, String message) {
        return new WireOp(hash(id), "StepFailed", id, id, null, null, WireError.of("NonRetriableError", message));
    }

    static WireOp planned(String id) {
        return new WireOp(hash(id), "StepPlanned", id, id, Json.nodes().objectNode(), null, null);
    }

    /** A sleep the way JS 4.24 sends it: the duration in {@code name}, empty opts. */
    static WireOp sleepJs(String id, String duration) {
        return new WireOp(hash(id), "Sleep", duration, id, Json.nodes().objectNode(), null, null);
    }

    /** A sleep the way the spec describes it: {@code opts.duration}. */
    static WireOp sleepSpec(String id, String duration) {
        ObjectNode opts = Json.nodes().objectNode().put("duration", duration);
        return new WireOp(hash(id), "Sleep", id, id, opts, null, null);
    }

    /** A waitForEvent the way JS 4.24 sends it: the event name in {@code name}. */
    static WireOp waitFor(String id, String event, String timeout, String ifExpression) {
        ObjectNode opts = Json.nodes().objectNode().put("timeout", timeout);
        if (ifExpression != null) {
            opts.put("if", ifExpression);
        }
        return new WireOp(hash(id), "WaitForEvent", event, id, opts, null, null);
    }

    static WireOp invoke(String id, String functionId, Object data, String timeout) {
        ObjectNode opts = Json.nodes().objectNode().put("function_id", functionId);
        opts.putObject("payload").set("data", Json.toTree(data));
        if (timeout != null) {
            opts.put("timeout", timeout);
        }
        return new WireOp(hash(id), "InvokeFunction", null, id, opts, null, null);
    }

    static Answer done(Object result) {
        return new Answer(200, Json.toBytes(Json.toTree(result)), Map.of());
    }

    static Answer fail(int status, String name, String message, boolean noRetry) {
        return new Answer(status, Json.toBytes(WireError.of(name, message)),
                Map.of("X-Inngest-No-Retry", Boolean.toString(noRetry)));
    }

    /** Closes the connection without answering (as an overloaded app resetting it does). */
    static final Answer HANG_UP = new Answer(0, new byte[0], Map.of());

    static Answer raw(int status, String body) {
        return new Answer(status, body.getBytes(StandardCharsets.UTF_8), Map.of());
    }
}
