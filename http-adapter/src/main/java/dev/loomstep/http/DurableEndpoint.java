package dev.loomstep.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loomstep.Checkpointing;
import dev.loomstep.Config;
import dev.loomstep.Event;
import dev.loomstep.Function;
import dev.loomstep.Loomstep;
import dev.loomstep.http.signing.Signatures;
import dev.loomstep.http.signing.SigningKey;
import dev.loomstep.protocol.CallRequest;
import dev.loomstep.protocol.CallResult;
import dev.loomstep.protocol.Headers;
import dev.loomstep.protocol.Json;
import dev.loomstep.protocol.RawRequest;
import dev.loomstep.protocol.StaleDispatchException;
import dev.loomstep.protocol.StepIds;
import dev.loomstep.protocol.WireError;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An HTTP endpoint whose handler uses steps: a durable endpoint, as Inngest's. The first attempt runs
 * in the client's request and checkpoints each step synchronously with the executor (the run is created
 * with the first checkpoint); when the handler returns, the client gets its answer in the same request.
 * When the run must go on later — a sleep, a wait, a failed step to retry — the client is redirected
 * ({@code 302}) to the executor's {@code /v1/http/runs/{runId}/output?token=…}, which answers with the
 * handler's final response once the executor has resumed the run (by calling this endpoint again with the
 * original request, signed, and the run's id in {@code X-Run-ID}) and it completed.
 *
 * <pre>{@code
 * DurableEndpoint checkout = DurableEndpoint.of(app, "checkout", (req, step) -> {
 *     String order = step.run("reserve", String.class, () -> inventory.reserve(req.bodyText()));
 *     step.sleep("settle", Duration.ofSeconds(5));          // the client is redirected here
 *     return Map.of("order", order, "charged", step.run("charge", Boolean.class, () -> payments.charge(order)));
 * });
 * // servlet: new DurableEndpointServlet(checkout); Undertow: new UndertowDurableHandler(checkout)
 * }</pre>
 *
 * Adapters hand every request to {@link #handle(SdkRequest)}; it never throws.
 */
public final class DurableEndpoint {
    /** The name of the event a durable endpoint run is triggered by, as with Inngest. */
    public static final String HTTP_REQUEST_EVENT = "inngest/http.request";
    /** The header an executor names the run in when it resumes it. */
    public static final String RUN_ID_HEADER = "X-Run-ID";
    static final String FORCE_STEP_PLAN = "X-Inngest-Force-Step-Plan";
    /** Like JS: the completion's op id is the hash of the placeholder step id "complete". */
    private static final String COMPLETE_ID = StepIds.sha1Hex("complete");
    private static final int DEFAULT_RETRIES = 3;
    private static final Logger log = LoggerFactory.getLogger(DurableEndpoint.class);

    private final Loomstep app;
    private final Config config;
    private final String name;
    private final int retries;
    private final Function<JsonNode, ObjectNode> fn;
    private final HttpClient client;
    private final ServeOptions options;
    private final RunStateFetcher runState;
    private final SigningKey primaryKey;
    private final SigningKey fallbackKey;

    private DurableEndpoint(Loomstep app, String name, int retries, EndpointHandler handler, ServeOptions options) {
        this.app = Objects.requireNonNull(app, "app");
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("a durable endpoint needs a name (its function's name in the executor)");
        }
        if (retries < 0 || retries > 20) {
            throw new IllegalArgumentException("retries must be between 0 and 20, got " + retries);
        }
        Objects.requireNonNull(handler, "handler");
        this.config = app.config();
        this.name = name;
        this.retries = retries;
        this.options = options == null ? ServeOptions.defaults() : options;
        this.client = this.options.httpClient() != null ? this.options.httpClient()
                : HttpClient.newBuilder().connectTimeout(this.options.apiTimeout())
                        .executor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()).build();
        this.runState = new RunStateFetcher(config, client, this.options.apiTimeout());
        this.primaryKey = SigningKey.ofNullable(config.signingKey());
        this.fallbackKey = SigningKey.ofNullable(config.signingKeyFallback());
        ObjectMapper mapper = app.objectMapper();
        // Every step is acknowledged before the next runs (as JS in sync mode), so a refused one stops the handler.
        this.fn = Function.builder(name).trigger(dev.loomstep.Trigger.event(HTTP_REQUEST_EVENT)).retries(retries).checkpointing(Checkpointing.jsDefaults())
                .handler((input, step) -> {
                    RawRequest raw = input.request().orElse(null);
                    var req = raw == null ? fromEvent(input.runId(), input.event())
                            : new EndpointRequest(input.runId(), raw.method(), raw.url(), raw.headers(), raw.body());
                    return apiResult(handler.handle(req, step), mapper);
                });
    }

    /** A durable endpoint named {@code name} (its function in the executor) whose steps retry 3 times. */
    public static DurableEndpoint of(Loomstep app, String name, EndpointHandler handler) {
        return new DurableEndpoint(app, name, DEFAULT_RETRIES, handler, null);
    }

    /** As {@link #of}, with {@code retries} retries per step (0 to 20) and the adapter's {@code options}. */
    public static DurableEndpoint of(Loomstep app, String name, int retries, ServeOptions options, EndpointHandler handler) {
        return new DurableEndpoint(app, name, retries, handler, options);
    }

    public String name() {
        return name;
    }

    public ServeOptions options() {
        return options;
    }

    /** Answers one request: the client's (the first attempt) or the executor's (resuming a run). Never throws. */
    public SdkResponse handle(SdkRequest request) {
        try {
            String runId = request.header(RUN_ID_HEADER);
            if (runId != null && !runId.isBlank()) {
                return resume(request, runId.trim());
            }
            return firstAttempt(request);
        } catch (RuntimeException | Error e) {
            log.error("durable endpoint {}: {} {} failed inside Loomstep", name, request.method(), request.url(), e);
            return json(500, error("InternalError", "internal error in the Loomstep SDK: " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage())), Map.of());
        }
    }

    // ---------------------------------------------------------------- the client's request

    private SdkResponse firstAttempt(SdkRequest request) {
        String runId = Ulids.next();
        Event event = httpEvent(request);
        var ctx = new CallRequest.CallContext(runId, 0, name, false, false, retries + 1, null, config.env(), "sync");
        var call = new CallRequest(event, List.of(event), Map.of(), ctx, null, false);
        var checkpoints = new SyncCheckpoints(config, client, options.apiTimeout(), runId, event, retries,
                Integer.parseInt(SdkEndpoint.REQ_VERSION));
        CallResult result = app.callUnlisted(fn, name, "step", call,
                new RawRequest(request.method(), request.url(), request.headers(), request.body()), checkpoints);
        JsonNode body = parse(result.body());
        if (result.status() == 206 && body.isArray()) {
            if (body.size() == 1 && "RunComplete".equals(body.get(0).path("op").asText())) {
                return completed(runId, body, checkpoints);
            }
            return toAsync(runId, (ArrayNode) body, checkpoints);
        }
        if (body.path("name").asText("").equals("StaleDispatchError")) {
            return json(409, error("StaleDispatchError", "the executor no longer takes this request's steps for run " + runId
                    + " (" + body.path("message").asText("") + ")"), Map.of());
        }
        if (result.status() == 200) {
            return completed(runId, Json.nodes().arrayNode().add(completeOp(body)), checkpoints);
        }
        // The handler threw outside a step: as JS, a retriable error continues the run in the executor.
        WireError err = errorOf(body);
        if (!result.noRetry()) {
            ObjectNode op = Json.nodes().objectNode().put("id", COMPLETE_ID).put("op", "StepError");
            op.set("error", Json.toTree(err));
            return toAsync(runId, Json.nodes().arrayNode().add(op), checkpoints);
        }
        ObjectNode op = Json.nodes().objectNode().put("id", COMPLETE_ID).put("op", "StepFailed");
        op.set("error", Json.toTree(err));
        try {
            checkpoints.send(Json.nodes().arrayNode().add(op));
        } catch (RuntimeException e) {
            log.warn("durable endpoint {}: run {} failed, and reporting it to the executor failed too: {}", name, runId, e.getMessage());
        }
        return json(400, result.body(), Map.of(Headers.NO_RETRY, "true"));
    }

    /** The handler returned: its response is checkpointed as the run's output and answered now. */
    private SdkResponse completed(String runId, JsonNode ops, SyncCheckpoints checkpoints) {
        JsonNode data = ops.get(0).path("data");
        try {
            checkpoints.send(ops);
        } catch (StaleDispatchException e) {
            return json(409, error("StaleDispatchError", e.getMessage()), Map.of());
        } catch (RuntimeException e) {
            // The client's answer is known; only the executor's record of it is missing.
            log.warn("durable endpoint {}: run {} completed, but checkpointing its result failed: {}", name, runId, e.getMessage());
        }
        var headers = new LinkedHashMap<String, String>();
        data.path("headers").fields().forEachRemaining(h -> headers.put(h.getKey(), h.getValue().asText()));
        int status = data.path("status").asInt(200);
        return new SdkResponse(status, headers, data.path("body").asText("").getBytes(StandardCharsets.UTF_8));
    }

    /** The run goes on in the executor: the ops it stopped at are checkpointed and the client redirected. */
    private SdkResponse toAsync(String runId, ArrayNode ops, SyncCheckpoints checkpoints) {
        try {
            checkpoints.send(ops);
        } catch (StaleDispatchException e) {
            return json(409, error("StaleDispatchError", e.getMessage()), Map.of());
        } catch (RuntimeException e) {
            log.warn("durable endpoint {}: run {} must continue in the executor, which did not take it: {}", name, runId, e.getMessage());
            return json(502, error("CheckpointError", "the run could not be handed to the executor: " + e.getMessage()), Map.of());
        }
        String token = checkpoints.token();
        String location = config.apiOrigin() + "/v1/http/runs/" + URLEncoder.encode(runId, StandardCharsets.UTF_8)
                + "/output" + (token == null ? "" : "?token=" + URLEncoder.encode(token, StandardCharsets.UTF_8));
        return new SdkResponse(302, Map.of("Location", location), new byte[0]);
    }

    // ---------------------------------------------------------------- the executor's request

    private SdkResponse resume(SdkRequest request, String runId) {
        if (!config.dev()) {
            var verdict = Signatures.verify(request.header(Headers.SIGNATURE), request.body(), primaryKey, fallbackKey, Instant.now());
            if (verdict instanceof Signatures.Verification.Rejected rejected) {
                return json(401, error("Unauthorized", "a request naming a run in " + RUN_ID_HEADER + " must be signed by the executor: "
                        + rejected.reason()), Map.of());
            }
        }
        boolean forcePlan = "true".equalsIgnoreCase(String.valueOf(request.header(FORCE_STEP_PLAN)).trim());
        var ctx = new CallRequest.CallContext(runId, 0, name, forcePlan, true, retries + 1, null, config.env(), null);
        CallRequest call;
        try {
            call = runState.complete(new CallRequest(null, null, null, ctx, null, true));
        } catch (SdkEndpoint.HttpError e) {
            return json(e.status, error("StateUnavailable", e.getMessage()), Map.of(Headers.NO_RETRY, "false"));
        }
        String stepId = request.header(SdkEndpoint.STEP_ID_HEADER);
        if (stepId == null || stepId.isBlank()) {
            stepId = "step";
        }
        CallResult result = app.callUnlisted(fn, name, stepId.trim(), call,
                new RawRequest(request.method(), request.url(), request.headers(), request.body()), null);
        if (result.status() == 200) {
            // The handler returned: its response goes back as one RunComplete op object (not in an array), as
            // JS 4.24 answers a resumed endpoint. That is the form Inngest finalizes such a run with so that its
            // output URL answers the response (tried against Inngest's dev server: a bare 200, an array of ops
            // or its SyncRunComplete op each leave the output URL answering null or nothing).
            result = new CallResult(206, Json.toBytes(completeOp(parse(result.body()))), false, null, false);
        }
        var headers = new LinkedHashMap<String, String>();
        headers.put(Headers.SDK, Loomstep.SDK_HEADER);
        headers.put(Headers.REQ_VERSION, SdkEndpoint.REQ_VERSION);
        if (result.retryAfter() != null) {
            headers.put(Headers.NO_RETRY, "false");
            headers.put(Headers.RETRY_AFTER, result.retryAfter());
        } else if (result.failure()) {
            headers.put(Headers.NO_RETRY, Boolean.toString(result.noRetry()));
        }
        return json(result.status(), result.body(), headers);
    }

    // ---------------------------------------------------------------- shapes

    /** The triggering event, with the request's fields as JS records them, the body in base64 as Inngest reads it. */
    private Event httpEvent(SdkRequest request) {
        URI uri = URI.create(request.url());
        ObjectNode data = Json.nodes().objectNode();
        String contentType = request.header("Content-Type");
        data.put("content_type", contentType == null ? "" : contentType);
        data.put("domain", uri.getScheme() + "://" + uri.getRawAuthority());
        String ip = request.header("X-Forwarded-For");
        data.put("ip", ip != null ? ip : Objects.requireNonNullElse(request.header("X-Real-IP"), ""));
        data.put("method", request.method());
        data.put("path", uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath());
        data.put("query_params", uri.getRawQuery() == null ? "" : uri.getRawQuery());
        // Base64, as Inngest's API reads this field (bytes); the JS SDK sends the text, which Inngest refuses
        // unless it happens to be base64 (a GET's empty body).
        data.put("body", java.util.Base64.getEncoder().encodeToString(request.body()));
        data.put("fn", name);
        return new Event(null, HTTP_REQUEST_EVENT, data, null, null, null);
    }

    /** The request as the triggering event recorded it (an in-process call without an HTTP request). */
    private static EndpointRequest fromEvent(String runId, Event event) {
        ObjectNode d = event.data();
        String query = d.path("query_params").asText("");
        String url = d.path("domain").asText("") + d.path("path").asText("/") + (query.isEmpty() ? "" : "?" + query);
        String contentType = d.path("content_type").asText("");
        return new EndpointRequest(runId, d.path("method").asText("POST"), url,
                contentType.isEmpty() ? Map.of() : Map.of("Content-Type", List.of(contentType)),
                java.util.Base64.getDecoder().decode(d.path("body").asText("")));
    }

    /** The run's output: Inngest's API result shape ({@code status}, {@code headers}, {@code body} as text). */
    static ObjectNode apiResult(Object out, ObjectMapper mapper) throws IOException {
        ObjectNode result = Json.nodes().objectNode();
        if (out instanceof EndpointResponse r) {
            result.put("status", r.status());
            ObjectNode headers = result.putObject("headers");
            r.headers().forEach(headers::put);
            result.put("body", r.body());
            return result;
        }
        result.put("status", 200);
        result.putObject("headers").put("content-type", "application/json"); // lower case, as JS records it
        result.put("body", mapper.writeValueAsString(out));
        return result;
    }

    private static ObjectNode completeOp(JsonNode data) {
        ObjectNode op = Json.nodes().objectNode().put("id", COMPLETE_ID).put("op", "RunComplete");
        op.set("data", data);
        return op;
    }

    private static JsonNode parse(byte[] body) {
        try {
            return body.length == 0 ? Json.nodes().nullNode() : Json.mapper().readTree(body);
        } catch (IOException e) {
            return Json.nodes().nullNode();
        }
    }

    private static WireError errorOf(JsonNode body) {
        try {
            WireError e = Json.mapper().treeToValue(body, WireError.class);
            if (e != null && e.name() != null) {
                return e;
            }
        } catch (IOException | IllegalArgumentException ignored) {
            // not an error shape: described below
        }
        return WireError.of("Error", body.toString());
    }

    private static byte[] error(String name, String message) {
        return Json.toBytes(WireError.of(name, message));
    }

    private static SdkResponse json(int status, byte[] body, Map<String, String> extra) {
        var headers = new LinkedHashMap<String, String>();
        headers.put("Content-Type", "application/json");
        headers.putAll(extra);
        return new SdkResponse(status, headers, body);
    }
}
