package dev.loomstep.connect.internal;

import com.google.protobuf.ByteString;
import dev.loomstep.Config;
import dev.loomstep.Loomstep;
import dev.loomstep.connect.protocol.GatewayExecutorRequestData;
import dev.loomstep.connect.protocol.SDKResponse;
import dev.loomstep.connect.protocol.SDKResponseStatus;
import dev.loomstep.http.SdkEndpoint;
import dev.loomstep.http.SdkRequest;
import dev.loomstep.http.SdkResponse;
import dev.loomstep.http.signing.Signatures;
import dev.loomstep.http.signing.SigningKey;
import dev.loomstep.protocol.Headers;
import dev.loomstep.protocol.Json;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs one executor request through the app's {@link SdkEndpoint} — the same code path as an HTTP call —
 * and turns its answer into the SDKResponse the gateway expects.
 *
 * <p>The request is the POST the executor would have sent over HTTP: the payload is the body,
 * {@code fnId}/{@code stepId} are in the query. The gateway authenticated the connection, so the request
 * carries no signature from outside (as the JS worker skips validation); in cloud mode the endpoint
 * still checks one, so the worker signs the body here with the app's own key, in process.
 */
public final class RequestRunner {
    /** The origin the JS worker gives connect calls; only the query matters to the endpoint. */
    private static final String CALL_ORIGIN = "http://connect.inngest.com/";

    private final SdkEndpoint endpoint;
    private final SigningKey key;
    private final boolean dev;

    public RequestRunner(SdkEndpoint endpoint) {
        this.endpoint = endpoint;
        Config config = endpoint.app().config();
        this.dev = config.dev();
        this.key = SigningKey.ofNullable(config.signingKey());
    }

    public SDKResponse run(GatewayExecutorRequestData req) {
        byte[] body = req.getRequestPayload().toByteArray();
        String url = CALL_ORIGIN + "?fnId=" + enc(req.getFunctionSlug()) + (req.hasStepId() && !req.getStepId().isEmpty()
                ? "&stepId=" + enc(req.getStepId()) : "");
        Map<String, List<String>> headers = new LinkedHashMap<>();
        headers.put("Content-Type", List.of("application/json"));
        headers.put("X-Inngest-Request-Id", List.of(req.getRequestId()));
        if (!req.getJobId().isEmpty()) {
            headers.put("X-Inngest-Job-Id", List.of(req.getJobId()));
        }
        if (!dev && key != null) {
            headers.put(Headers.SIGNATURE, List.of(Signatures.sign(body, key, Instant.now())));
        }
        traceHeaders(req, headers);
        SdkResponse answer = endpoint.handle(new SdkRequest("POST", url, headers, body));
        return toSdkResponse(req, answer);
    }

    /**
     * 200 is DONE and 206 NOT_COMPLETED, as in the JS worker. JS maps 500 to ERROR and leaves every other
     * status DONE, because its handler answers nothing else on a call; Loomstep's endpoint answers 4xx for
     * a broken or unknown call (see loomstep-http), and a DONE would end the run with an error message as
     * its output, so every status that is not 2xx is ERROR here, and its No-Retry header decides the retry.
     */
    static SDKResponse toSdkResponse(GatewayExecutorRequestData req, SdkResponse answer) {
        int status = answer.status();
        SDKResponseStatus s = status == 206 ? SDKResponseStatus.NOT_COMPLETED
                : status / 100 == 2 ? SDKResponseStatus.DONE : SDKResponseStatus.ERROR;
        var b = SDKResponse.newBuilder()
                .setRequestId(req.getRequestId())
                .setAccountId(req.getAccountId())
                .setEnvId(req.getEnvId())
                .setAppId(req.getAppId())
                .setStatus(s)
                .setBody(ByteString.copyFrom(answer.body()))
                .setNoRetry("true".equals(answer.header(Headers.NO_RETRY)))
                .setSdkVersion(Loomstep.SDK_HEADER)
                .setRequestVersion(parseVersion(answer.header(Headers.REQ_VERSION)))
                .setSystemTraceCtx(req.getSystemTraceCtx())
                .setUserTraceCtx(req.getUserTraceCtx())
                .setRunId(req.getRunId());
        String retryAfter = answer.header(Headers.RETRY_AFTER);
        if (retryAfter != null) {
            b.setRetryAfter(retryAfter);
        }
        return b.build();
    }

    /**
     * The call's trace context, sent by the gateway as {@code user_trace_ctx} (JSON {@code {"traceparent": …,
     * "tracestate": …}}), becomes the headers an HTTP call carries it in, as the JS worker does; unreadable, none.
     */
    static void traceHeaders(GatewayExecutorRequestData req, Map<String, List<String>> headers) {
        if (req.getUserTraceCtx().isEmpty()) {
            return;
        }
        try {
            var ctx = Json.mapper().readTree(req.getUserTraceCtx().toByteArray());
            for (String name : List.of("traceparent", "tracestate")) {
                if (ctx != null && ctx.path(name).isTextual()) {
                    headers.put(name, List.of(ctx.get(name).asText()));
                }
            }
        } catch (java.io.IOException e) {
            // not JSON: the call runs without the executor's trace context, as it would without one
        }
    }

    private static int parseVersion(String header) {
        try {
            return header == null ? Integer.parseInt(SdkEndpoint.REQ_VERSION) : Integer.parseInt(header.trim());
        } catch (NumberFormatException e) {
            return Integer.parseInt(SdkEndpoint.REQ_VERSION);
        }
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
