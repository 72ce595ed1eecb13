package dev.loomstep.devserver.endpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Loomstep;
import dev.loomstep.devserver.DevServer;
import dev.loomstep.http.DurableEndpoint;
import dev.loomstep.protocol.Json;
import dev.loomstep.undertow.UndertowDurableHandler;
import io.undertow.Handlers;
import io.undertow.Undertow;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The durable endpoints' devserver routes refuse bad input with one line and change nothing; production mode end to end. */
class DurableEndpointRoutesTest {
    private static final HttpClient CLIENT = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
            .version(HttpClient.Version.HTTP_1_1).build();
    private static final String RUN = "01JZZZZZZZZZZZZZZZZZZZZZZZ";
    private static final String EVENT = "{\"name\":\"inngest/http.request\",\"data\":{\"domain\":\"http://127.0.0.1:9\","
            + "\"method\":\"POST\",\"path\":\"/api/x\",\"body\":\"{}\",\"fn\":\"x\"}}";

    private static HttpResponse<String> send(String method, String url, String body, Map<String, String> headers) throws Exception {
        var b = HttpRequest.newBuilder(URI.create(url)).method(method,
                body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        headers.forEach(b::header);
        return CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void assertOneLine(HttpResponse<String> res, int status, String contains) throws Exception {
        assertEquals(status, res.statusCode(), res.body());
        JsonNode e = Json.mapper().readTree(res.body());
        assertTrue(e.path("error").asText().contains(contains), res.body());
        assertTrue(!e.path("error").asText().contains("\n"), res.body());
    }

    @Test
    void badCheckpointsAreRefusedWithOneLineAndCreateNoRun() throws Exception {
        try (DevServer dev = DevServer.builder().port(0).inMemory().start()) {
            String url = dev.url() + "/v1/checkpoint";
            assertOneLine(send("POST", url, "[1]", Map.of()), 400, "JSON object");
            assertOneLine(send("POST", url, "{\"run_id\":\"nope\",\"event\":" + EVENT + ",\"steps\":[]}", Map.of()), 400, "not a ULID");
            assertOneLine(send("POST", url, "{\"run_id\":\"" + RUN + "\",\"event\":{\"name\":\"x\",\"data\":{}},\"steps\":[]}", Map.of()),
                    400, "domain");
            assertOneLine(send("POST", url, "{\"run_id\":\"" + RUN + "\",\"event\":" + EVENT + ",\"steps\":[{\"op\":\"Bogus\",\"id\":\"a\"}]}",
                    Map.of()), 400, "Bogus");
            assertOneLine(send("POST", url, "{\"run_id\":\"" + RUN + "\",\"event\":" + EVENT + ",\"steps\":[],\"retries\":99}", Map.of()),
                    400, "retries");
            assertOneLine(send("POST", url, "{\"run_id\":\"" + RUN + "\",\"event\":" + EVENT.replace("inngest/http.request", "shop/x")
                    + ",\"steps\":[]}", Map.of()), 400, "inngest/http.request");
            var none = send("GET", dev.url() + "/v1/runs/" + RUN, null, Map.of());
            assertEquals(404, none.statusCode(), "no run was created: " + none.body());
            var functions = Json.mapper().readTree(send("GET", dev.url() + "/v1/functions", null, Map.of()).body());
            assertEquals(0, functions.path("data").size(), "no endpoint function was created: " + functions);

            var ok = send("POST", url, "{\"run_id\":\"" + RUN + "\",\"event\":" + EVENT + ",\"steps\":[]}", Map.of());
            assertEquals(200, ok.statusCode(), ok.body());
            JsonNode data = Json.mapper().readTree(ok.body()).path("data");
            assertEquals(RUN, data.path("run_id").asText());
            assertTrue(!data.path("token").asText().isEmpty() && !data.path("realtime_token").asText().isEmpty(), ok.body());
            assertOneLine(send("POST", url, "{\"run_id\":\"" + RUN + "\",\"event\":" + EVENT + ",\"steps\":[]}", Map.of()),
                    409, "Run already exists");

            String steps = dev.url() + "/v1/checkpoint/" + RUN + "/steps";
            assertOneLine(send("POST", steps, "{\"run_id\":\"01JOTHERRUN000000000000000\",\"steps\":[]}", Map.of()), 400, "not the run of the URL");
            assertOneLine(send("POST", dev.url() + "/v1/checkpoint/01JNOSUCHRUN0000000000000A/steps",
                    "{\"run_id\":\"01JNOSUCHRUN0000000000000A\",\"steps\":[]}", Map.of()), 404, "no run");
            assertOneLine(send("GET", dev.url() + "/v1/http/runs/" + RUN + "/output?token=forged", null, Map.of()), 401, "token");
            assertOneLine(send("GET", dev.url() + "/v1/http/runs/" + RUN + "/output", null, Map.of()), 401, "token");
            JsonNode run = Json.mapper().readTree(send("GET", dev.url() + "/v1/runs/" + RUN, null, Map.of()).body()).path("data");
            assertEquals("Running", run.path("status").asText(), run.toString());
            assertEquals(0, run.path("steps").size(), "refused checkpoints added nothing: " + run);
        }
    }

    @Test
    void inProductionModeCheckpointsNeedTheBearerAndTheResumedRequestIsSigned() throws Exception {
        String key = "signkey-prod-6f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";
        try (DevServer dev = DevServer.builder().production().port(0).inMemory().retryDelayScale(0.001).signingKey(key)
                .eventKey("k").start()) {
            assertOneLine(send("POST", dev.url() + "/v1/checkpoint", "{\"run_id\":\"" + RUN + "\",\"event\":" + EVENT + ",\"steps\":[]}",
                    Map.of()), 401, "Bearer");
            var app = Loomstep.builder("shop").cloud().apiOrigin(dev.url()).signingKey(key).eventKey("k").build();
            var before = new AtomicInteger();
            var endpoint = DurableEndpoint.of(app, "signed", (req, step) -> {
                step.run("before", Integer.class, before::incrementAndGet);
                step.sleep("nap", Duration.ofSeconds(1));
                return Map.of("before", before.get());
            });
            var undertow = Undertow.builder().addHttpListener(0, "127.0.0.1")
                    .setHandler(Handlers.path().addExactPath("/api/signed", new UndertowDurableHandler(endpoint))).build();
            undertow.start();
            try {
                String origin = "http://127.0.0.1:" + ((InetSocketAddress) undertow.getListenerInfo().get(0).getAddress()).getPort();
                var first = send("POST", origin + "/api/signed", "{}", Map.of("Content-Type", "application/json"));
                assertEquals(302, first.statusCode(), first.body());
                var done = send("GET", first.headers().firstValue("Location").orElseThrow(), null, Map.of());
                assertEquals(200, done.statusCode(), done.body());
                assertEquals(Json.mapper().readTree("{\"before\":1}"), Json.mapper().readTree(done.body()));
                // Anyone else naming a run is refused: only the executor's signed replay resumes one.
                var forged = send("POST", origin + "/api/signed", "{}", Map.of("X-Run-ID", RUN, "X-Inngest-Signature", "t=1&s=00"));
                assertEquals(401, forged.statusCode(), forged.body());
                assertTrue(Json.mapper().readTree(forged.body()).path("message").asText().contains("must be signed"), forged.body());
            } finally {
                undertow.stop();
            }
        }
    }
}
