package dev.loomstep.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Config;
import dev.loomstep.Function;
import dev.loomstep.Loomstep;
import dev.loomstep.Trigger;
import dev.loomstep.undertow.LoomstepServer;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** Undertow's IO threads never block: calls run on virtual threads while the IO thread keeps answering. */
class DispatchTest {

    @Test
    void blockedCallsDoNotStopASingleIoThreadFromAnsweringOtherRequests() throws Exception {
        int calls = 8;
        var entered = new CountDownLatch(calls);
        var release = new CountDownLatch(1);
        var onIoThread = new AtomicBoolean();
        Function<JsonNode, Object> wait = Function.builder("wait").trigger(Trigger.event("demo/hello")).handler((input, step) ->
                step.run("a", Integer.class, () -> {
                    onIoThread.compareAndSet(false, Thread.currentThread().getName().contains("I/O"));
                    entered.countDown();
                    assertTrue(release.await(30, TimeUnit.SECONDS), "released");
                    return 1;
                }));
        var app = Loomstep.builder("peer").config(Config.from(Map.of("INNGEST_DEV", "1"))).functions(wait).build();
        try (var server = LoomstepServer.builder(app).host("127.0.0.1").port(0).ioThreads(1).start()) {
            var pending = new ArrayList<CompletableFuture<HttpResponse<String>>>();
            for (int i = 0; i < calls; i++) {
                var req = HttpRequest.newBuilder(URI.create(server.url() + "?fnId=peer-wait&stepId=step"))
                        .POST(HttpRequest.BodyPublishers.ofByteArray(TestHttp.resource("calls/discover.json"))).build();
                pending.add(TestHttp.CLIENT.sendAsync(req, HttpResponse.BodyHandlers.ofString()));
            }
            assertTrue(entered.await(30, TimeUnit.SECONDS), "every call is running at once");

            // All calls are blocked inside user code; the one IO thread must still serve introspection.
            for (int i = 0; i < 5; i++) {
                assertEquals(200, TestHttp.get(server.url()).status());
            }
            assertTrue(pending.stream().noneMatch(CompletableFuture::isDone), "the calls are still blocked");

            release.countDown();
            List<Integer> statuses = new ArrayList<>();
            for (var p : pending) {
                statuses.add(p.get(30, TimeUnit.SECONDS).statusCode());
            }
            assertEquals(List.of(206, 206, 206, 206, 206, 206, 206, 206), statuses);
            assertEquals(false, onIoThread.get(), "user code never runs on an IO thread");
        }
    }

    @Test
    void aCallTheServerCannotDispatchAnymoreGetsAOneLine503WithTheProtocolHeaders() throws Exception {
        var app = Loomstep.builder("peer").config(Config.from(Map.of("INNGEST_DEV", "1"))).build();
        var endpoint = new SdkEndpoint(app, "undertow", ServeOptions.defaults());
        java.util.concurrent.Executor shutDown = task -> {
            throw new java.util.concurrent.RejectedExecutionException("shut down");
        };
        var undertow = io.undertow.Undertow.builder().addHttpListener(0, "127.0.0.1")
                .setHandler(new dev.loomstep.undertow.UndertowSdkHandler(endpoint, shutDown)).build();
        undertow.start();
        try {
            var address = (java.net.InetSocketAddress) undertow.getListenerInfo().get(0).getAddress();
            var reply = TestHttp.send("POST", "http://127.0.0.1:" + address.getPort() + "/api/inngest?fnId=peer-x&stepId=step",
                    Map.of("Content-Type", "application/json"), TestHttp.resource("calls/discover.json"));
            assertEquals(503, reply.status(), reply.body() + " " + reply.headers().map());
            assertEquals("the server is shutting down; try again on another instance", reply.json().path("message").asText(), reply.body() + " " + reply.headers().map());
            assertEquals("false", reply.header("X-Inngest-No-Retry"));
            assertTrue(reply.header("X-Inngest-Sdk").startsWith("loomstep:v"), "the protocol headers are there");
        } finally {
            undertow.stop();
        }
    }
}
