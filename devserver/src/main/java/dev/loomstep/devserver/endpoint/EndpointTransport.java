package dev.loomstep.devserver.endpoint;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Event;
import dev.loomstep.devserver.auth.ServiceKeys;
import dev.loomstep.devserver.executor.SdkAnswer;
import dev.loomstep.devserver.executor.SdkClient;
import dev.loomstep.devserver.executor.SdkTransport;
import dev.loomstep.devserver.store.RunRecord;
import dev.loomstep.devserver.store.Store;
import dev.loomstep.protocol.Headers;
import dev.loomstep.protocol.WireError;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;

/**
 * Calls a durable endpoint's run the way Inngest resumes one: the original request again — its method,
 * URL with query string, body ({@link #requestBody}) and content type, from the triggering
 * {@code inngest/http.request} event —
 * with the run's id in {@code X-Run-ID}, the step to run in {@code X-Inngest-Step-Id}, and a signature
 * ({@code X-Inngest-Signature}, empty in dev mode). The SDK loads the run's state from the API and
 * answers ops as to any call. Calls of other functions go to {@code next}.
 */
public final class EndpointTransport implements SdkTransport {
    private static final Set<String> WITH_BODY = Set.of("POST", "PUT", "PATCH", "DELETE");

    private final SdkTransport next;
    private final Store store;
    private final ServiceKeys keys;
    private final Duration timeout;
    private final HttpClient client;

    public EndpointTransport(SdkTransport next, Store store, ServiceKeys keys, Duration timeout) {
        this.next = next;
        this.store = store;
        this.keys = keys;
        this.timeout = timeout;
        this.client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10))
                .followRedirects(HttpClient.Redirect.NEVER)
                .executor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()).build();
    }

    /**
     * The original request body: base64, as Inngest's API reads the field (Loomstep sends it so); text that is
     * not base64 is taken as it is, as the JS SDK sends it (Inngest itself refuses such an event).
     */
    static byte[] requestBody(String field) {
        try {
            return java.util.Base64.getDecoder().decode(field);
        } catch (IllegalArgumentException notBase64) {
            return field.getBytes(StandardCharsets.UTF_8);
        }
    }

    @Override
    public SdkClient.Reply call(Call call) throws InterruptedException {
        if (!EndpointRuns.isEndpoint(call.fn())) {
            return next.call(call);
        }
        RunRecord run = store.run(call.runId()).orElse(null);
        Event event = run == null ? null : run.event();
        if (event == null || !"inngest/http.request".equals(event.name())) {
            return new SdkClient.Reply(new SdkAnswer.Failed(WireError.of("InvalidRun",
                    "run " + call.runId() + " of durable endpoint " + call.fn().id() + " has no inngest/http.request event to replay")), null);
        }
        JsonNode d = event.data();
        String query = d.path("query_params").asText("");
        String url = d.path("domain").asText("") + d.path("path").asText("/") + (query.isEmpty() ? "" : "?" + query);
        String method = d.path("method").asText("POST").toUpperCase(java.util.Locale.ROOT);
        byte[] body = requestBody(d.path("body").asText(""));
        HttpResponse<byte[]> res;
        try {
            var req = HttpRequest.newBuilder(URI.create(url)).timeout(timeout)
                    .method(method, WITH_BODY.contains(method) || body.length > 0
                            ? HttpRequest.BodyPublishers.ofByteArray(body) : HttpRequest.BodyPublishers.noBody())
                    .header("Content-Type", d.path("content_type").asText("").isBlank() ? "application/json" : d.path("content_type").asText())
                    .header("X-Run-ID", call.runId())
                    .header(Headers.SIGNATURE, keys == null ? "" : keys.sign(body, Instant.now().getEpochSecond()))
                    .header(Headers.REQ_VERSION, Integer.toString(call.requestVersion()));
            if (!"step".equals(call.stepId())) {
                req.header("X-Inngest-Step-Id", call.stepId());
            }
            if (call.dispatch() != null) {
                req.header("X-Request-Id", call.dispatch().requestId());
            }
            res = client.send(req.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (HttpTimeoutException e) {
            return new SdkClient.Reply(new SdkAnswer.Retry(WireError.of("TimeoutError",
                    "the durable endpoint at " + url + " did not answer within " + timeout.toSeconds() + " s"), null), null);
        } catch (IOException | IllegalArgumentException e) {
            return new SdkClient.Reply(new SdkAnswer.Unanswered(WireError.of("ConnectionError",
                    "could not reach the durable endpoint at " + url + ": " + e)), null);
        }
        SdkAnswer answer = SdkClient.classify(res.statusCode(), res.body(),
                res.headers().firstValue(Headers.NO_RETRY).orElse(null), res.headers().firstValue(Headers.RETRY_AFTER).orElse(null));
        return new SdkClient.Reply(answer, null, res.body().length);
    }
}
