package dev.loomstep.devserver.endpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Loomstep;
import dev.loomstep.NonRetriableException;
import dev.loomstep.devserver.DevServer;
import dev.loomstep.http.DurableEndpoint;
import dev.loomstep.http.DurableEndpointServlet;
import dev.loomstep.http.EndpointResponse;
import dev.loomstep.protocol.Json;
import dev.loomstep.undertow.UndertowDurableHandler;
import io.undertow.Handlers;
import io.undertow.Undertow;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.startup.Tomcat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * Durable endpoints served over real HTTP on loopback — by Undertow ({@link UndertowDurableHandler}) and by
 * a servlet in Tomcat ({@link DurableEndpointServlet}) — checkpointing synchronously with the devserver:
 * completion within the client's request, a sleep and a retry that redirect the client to the run's
 * output, and a stale run that stops the handler.
 */
class DurableEndpointEndToEndTest {

    @Nested
    class OnUndertow extends Scenarios {
        @Override
        AutoCloseable serve(DurableEndpoint endpoint, String path) {
            var undertow = Undertow.builder().addHttpListener(0, "127.0.0.1")
                    .setHandler(Handlers.path().addExactPath(path, new UndertowDurableHandler(endpoint))).build();
            undertow.start();
            origin = "http://127.0.0.1:" + ((InetSocketAddress) undertow.getListenerInfo().get(0).getAddress()).getPort();
            return undertow::stop;
        }
    }

    @Nested
    class InAServletContainer extends Scenarios {
        @Override
        AutoCloseable serve(DurableEndpoint endpoint, String path) throws Exception {
            var base = Files.createTempDirectory("loomstep-tomcat");
            var tomcat = new Tomcat();
            tomcat.setBaseDir(base.toString());
            var connector = new Connector();
            connector.setPort(0);
            connector.setProperty("address", "127.0.0.1");
            tomcat.setConnector(connector);
            var context = tomcat.addContext("", base.toString());
            Tomcat.addServlet(context, "endpoint", new DurableEndpointServlet(endpoint)).setAsyncSupported(true);
            context.addServletMappingDecoded(path, "endpoint");
            tomcat.start();
            origin = "http://127.0.0.1:" + connector.getLocalPort();
            return () -> {
                tomcat.stop();
                tomcat.destroy();
            };
        }
    }

    abstract static class Scenarios {
        private static final HttpClient CLIENT = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
                .version(HttpClient.Version.HTTP_1_1).build();
        DevServer dev;
        Loomstep app;
        String origin;
        private AutoCloseable server;

        abstract AutoCloseable serve(DurableEndpoint endpoint, String path) throws Exception;

        @BeforeEach
        void startDevServer() {
            dev = DevServer.builder().port(0).inMemory().retryDelayScale(0.001).start();
            app = Loomstep.builder("shop").dev(dev.url()).build();
        }

        @AfterEach
        void stop() throws Exception {
            if (server != null) {
                server.close();
            }
            dev.close();
        }

        private HttpResponse<String> post(String path, String body) throws Exception {
            return CLIENT.send(HttpRequest.newBuilder(URI.create(origin + path + "?order=7"))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
        }

        private HttpResponse<String> follow(HttpResponse<String> redirect) throws Exception {
            String location = redirect.headers().firstValue("Location").orElseThrow();
            assertTrue(location.startsWith(dev.url() + "/v1/http/runs/"), location);
            return CLIENT.send(HttpRequest.newBuilder(URI.create(location)).timeout(Duration.ofSeconds(30)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
        }

        private JsonNode run(String runId) throws Exception {
            var res = CLIENT.send(HttpRequest.newBuilder(URI.create(dev.url() + "/v1/runs/" + runId)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, res.statusCode(), res.body());
            return Json.mapper().readTree(res.body());
        }

        @Test
        void answersTheClientInItsOwnRequestWhenEveryStepRunsThere() throws Exception {
            var runs = new AtomicInteger();
            var seenRun = new String[1];
            server = serve(DurableEndpoint.of(app, "checkout", (req, step) -> {
                seenRun[0] = req.runId();
                int a = step.run("reserve", Integer.class, () -> runs.incrementAndGet() * 10);
                int b = step.run("charge", Integer.class, () -> a + Integer.parseInt(req.query("order")));
                return Map.of("total", b, "body", req.json().path("item").asText());
            }), "/api/checkout");

            var res = post("/api/checkout", "{\"item\":\"book\"}");

            assertEquals(200, res.statusCode(), res.body());
            assertEquals(Json.mapper().readTree("{\"total\":17,\"body\":\"book\"}"), Json.mapper().readTree(res.body()));
            assertEquals(1, runs.get());
            JsonNode run = run(seenRun[0]).path("data");
            assertEquals("Completed", run.path("status").asText(), run.toString());
            assertEquals(200, run.path("output").path("status").asInt(), run.toString());
            assertEquals(2, run.path("steps").size(), "both steps are checkpointed: " + run);
            assertEquals("POST", run.path("durable_endpoint").path("method").asText(), run.toString());
            assertEquals(origin + "/api/checkout?order=7", run.path("durable_endpoint").path("url").asText(), run.toString());
        }

        @Test
        void redirectsTheClientToTheRunsOutputWhenAStepSleeps() throws Exception {
            var reserved = new AtomicInteger();
            var shipped = new AtomicInteger();
            server = serve(DurableEndpoint.of(app, "slow-checkout", (req, step) -> {
                int a = step.run("reserve", Integer.class, reserved::incrementAndGet);
                step.sleep("settle", Duration.ofMillis(300));
                int b = step.run("ship", Integer.class, shipped::incrementAndGet);
                // Read after the sleep: on the executor's replay of the request, with the client's body.
                return EndpointResponse.of(201, "text/plain", "shipped " + a + "/" + b + " " + req.json().path("item").asText());
            }), "/api/slow");

            var first = post("/api/slow", "{\"item\":\"lamp\"}");
            assertEquals(302, first.statusCode(), first.body());
            assertEquals(0, shipped.get(), "the step after the sleep must wait for the executor");

            var done = follow(first);
            assertEquals(201, done.statusCode(), done.body());
            assertEquals("shipped 1/1 lamp", done.body());
            assertEquals("text/plain", done.headers().firstValue("Content-Type").orElse(""));
            assertEquals(1, reserved.get(), "the step before the sleep is memoized, not run again");
            assertEquals(1, shipped.get());
        }

        @Test
        void redirectsTheClientWhenAStepFailsAndAnswersWithTheRetriedResult() throws Exception {
            var attempts = new AtomicInteger();
            server = serve(DurableEndpoint.of(app, "flaky", (req, step) -> {
                String charged = step.run("charge", String.class, () -> {
                    if (attempts.incrementAndGet() == 1) {
                        throw new IllegalStateException("payment provider timed out");
                    }
                    return "charged";
                });
                return Map.of("result", charged, "attempts", attempts.get());
            }), "/api/flaky");

            var first = post("/api/flaky", "{}");
            assertEquals(302, first.statusCode(), first.body());

            var done = follow(first);
            assertEquals(200, done.statusCode(), done.body());
            assertEquals(Json.mapper().readTree("{\"result\":\"charged\",\"attempts\":2}"), Json.mapper().readTree(done.body()));
            assertEquals(2, attempts.get());
        }

        @Test
        void retriesAHandlerThatThrowsOutsideAStepAndAnswersTheRedirectedClient() throws Exception {
            var calls = new AtomicInteger();
            server = serve(DurableEndpoint.of(app, "shaky", (req, step) -> {
                String id = step.run("load", String.class, () -> "cart-1");
                if (calls.incrementAndGet() == 1) {
                    throw new IllegalStateException("the cache was cold");
                }
                return Map.of("cart", id, "calls", calls.get());
            }), "/api/shaky");

            var first = post("/api/shaky", "{}");
            assertEquals(302, first.statusCode(), first.body());
            var done = follow(first);
            assertEquals(200, done.statusCode(), done.body());
            assertEquals(Json.mapper().readTree("{\"cart\":\"cart-1\",\"calls\":2}"), Json.mapper().readTree(done.body()));
        }

        @Test
        void answersANonRetriableFailureInTheRequestAndFailsTheRun() throws Exception {
            var seenRun = new String[1];
            server = serve(DurableEndpoint.of(app, "refusing", (req, step) -> {
                seenRun[0] = req.runId();
                step.run("check", String.class, () -> "checked");
                throw new NonRetriableException("out of stock");
            }), "/api/refusing");

            var res = post("/api/refusing", "{}");
            assertEquals(400, res.statusCode(), res.body());
            assertTrue(res.body().contains("out of stock"), res.body());
            JsonNode run = run(seenRun[0]).path("data");
            assertEquals("Failed", run.path("status").asText(), run.toString());
        }

        @Test
        void stopsTheHandlerWhenTheExecutorRefusesACheckpointAsStale() throws Exception {
            var after = new AtomicInteger();
            server = serve(DurableEndpoint.of(app, "cancelled", (req, step) -> {
                step.run("first", String.class, () -> "ok");
                step.run("cancel", String.class, () -> {
                    // The run exists since the first checkpoint: cancel it, so the next checkpoint is stale.
                    var res = CLIENT.send(HttpRequest.newBuilder(URI.create(dev.url() + "/v1/runs/" + req.runId() + "/cancel"))
                            .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
                    assertEquals(200, res.statusCode(), res.body());
                    return "cancelled";
                });
                step.run("never", String.class, () -> "ran " + after.incrementAndGet());
                return "done";
            }), "/api/cancelled");

            var res = post("/api/cancelled", "{}");

            assertEquals(409, res.statusCode(), res.body());
            assertEquals(0, after.get(), "no step may run once the executor called the run stale");
        }
    }
}
