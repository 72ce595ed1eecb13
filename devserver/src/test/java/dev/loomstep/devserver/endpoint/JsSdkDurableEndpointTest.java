package dev.loomstep.devserver.endpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.devserver.DevServer;
import dev.loomstep.protocol.Json;
import dev.loomstep.testkit.JsPeer;
import dev.loomstep.testkit.PeerProcess;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The official JS SDK's durable endpoints ({@code testkit/js-peer/durable-endpoint.js}, npm {@code inngest}
 * 4.24's {@code endpointAdapter}) checkpointing with the devserver: the JS side of the sync checkpoint wire
 * (its new-run and steps bodies, what it needs in the answer), its redirect, and its resumption when the
 * devserver replays the request.
 */
class JsSdkDurableEndpointTest {
    private static final HttpClient CLIENT = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
            .version(HttpClient.Version.HTTP_1_1).build();
    private static DevServer dev;
    private static PeerProcess js;

    @BeforeAll
    static void start() {
        JsPeer.assumeAvailable();
        dev = DevServer.builder().port(0).inMemory().retryDelayScale(0.001).start();
        js = PeerProcess.start("the JS durable endpoints", List.of("node", "durable-endpoint.js"),
                JsPeer.repoRoot().resolve("testkit/js-peer"),
                Map.of("INNGEST_DEV", "1", "INNGEST_BASE_URL", dev.url(), "INNGEST_API_BASE_URL", dev.url()),
                "durable-endpoint ready ", Duration.ofSeconds(60));
    }

    @AfterAll
    static void stop() {
        if (js != null) {
            js.close();
        }
        if (dev != null) {
            dev.close();
        }
    }

    private static HttpResponse<String> get(String url) throws Exception {
        return CLIENT.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> follow(HttpResponse<String> redirect) throws Exception {
        String location = redirect.headers().firstValue("Location").orElseThrow();
        assertTrue(location.startsWith(dev.url() + "/v1/http/runs/"), location);
        return get(location);
    }

    /**
     * The final response of a resumed JS endpoint whose handler returns a {@code Response}: JS 4.24 encodes its
     * body twice (it turns the Response into text, then builds a JSON response of that text), so the output
     * Inngest — and the devserver — answers is a JSON string holding the handler's JSON; in the request's
     * own answer it is not.
     */
    private static JsonNode resumedBody(HttpResponse<String> res) throws Exception {
        JsonNode body = Json.mapper().readTree(res.body());
        assertTrue(body.isTextual(), "JS 4.24 double-encodes a resumed endpoint's body; if this changed, drop this step: " + res.body());
        return Json.mapper().readTree(body.asText());
    }

    @Test
    void jsEndpointCompletesInTheRequestAndTheDevserverRecordsTheRun() throws Exception {
        var res = get(js.baseUrl() + "/sync");
        assertEquals(200, res.statusCode(), res.body() + "\n" + js.recentOutput());
        assertEquals(Json.mapper().readTree("{\"sum\":3}"), Json.mapper().readTree(res.body()));
        JsonNode runs = Json.mapper().readTree(get(dev.url() + "/v1/runs?status=Completed").body()).path("data");
        boolean found = false;
        for (JsonNode r : runs) {
            found |= r.path("function_id").asText().endsWith(" GET /sync") || r.path("function_name").asText().contains("/sync")
                    || r.path("app_id").asText().startsWith("endpoint ");
        }
        assertTrue(found, "the devserver lists the JS endpoint's completed run: " + runs);
    }

    @Test
    void jsEndpointThatSleepsIsRedirectedAndResumedByTheDevserver() throws Exception {
        var first = get(js.baseUrl() + "/sleep");
        assertEquals(302, first.statusCode(), first.body() + "\n" + js.recentOutput());
        var done = follow(first);
        assertEquals(200, done.statusCode(), done.body() + "\n" + js.recentOutput());
        JsonNode out = resumedBody(done);
        assertEquals(1, out.path("reserve").asInt(), done.body());
        assertEquals(1, out.path("counts").path("reserve").asInt(), "the step before the sleep ran once: " + done.body());
        assertEquals(1, out.path("counts").path("ship").asInt(), done.body());
    }

    @Test
    void jsEndpointWithAFailingStepIsRedirectedAndRetriedByTheDevserver() throws Exception {
        var first = get(js.baseUrl() + "/flaky");
        assertEquals(302, first.statusCode(), first.body() + "\n" + js.recentOutput());
        var done = follow(first);
        assertEquals(200, done.statusCode(), done.body() + "\n" + js.recentOutput());
        assertEquals(Json.mapper().readTree("{\"result\":\"charged\",\"attempts\":2}"), resumedBody(done));
    }
}
