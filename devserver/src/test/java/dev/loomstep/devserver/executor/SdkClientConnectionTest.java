package dev.loomstep.devserver.executor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.undertow.Undertow;
import io.undertow.server.HttpHandler;
import io.undertow.util.HeaderValues;
import io.undertow.util.HttpString;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The executor's calls to an SDK endpoint over real HTTP: connections kept alive, headers, timeouts. */
class SdkClientConnectionTest {
    private Undertow server;
    private SdkClient client;

    private String serve(HttpHandler handler) {
        server = Undertow.builder().addHttpListener(0, "127.0.0.1").setHandler(handler).build();
        server.start();
        int port = ((InetSocketAddress) server.getListenerInfo().getFirst().getAddress()).getPort();
        return "http://127.0.0.1:" + port + "/api/inngest?fnId=f&stepId=step";
    }

    @AfterEach
    void stop() {
        if (client != null) {
            client.close();
        }
        if (server != null) {
            server.stop();
        }
    }

    @Test
    void sequentialCallsReuseOneKeptAliveConnection() throws Exception {
        Set<Object> peers = ConcurrentHashMap.newKeySet();
        String url = serve(exchange -> exchange.getRequestReceiver().receiveFullBytes((ex, body) -> {
            peers.add(ex.getSourceAddress());
            ex.getResponseSender().send("{\"ok\":true}");
        }));
        client = new SdkClient(Duration.ofSeconds(30));
        byte[] request = "{\"event\":{},\"steps\":{}}".getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < 5; i++) {
            var reply = client.call(url, request, 2, null);
            var done = assertInstanceOf(SdkAnswer.Done.class, reply.answer());
            assertTrue(done.output().get("ok").asBoolean());
        }
        assertEquals(1, peers.size(), "every call came from the same client socket: " + peers);
    }

    @Test
    void sendsOnlyTheHeadersTheExecutorSetsPlusHostAndLength() throws Exception {
        List<TreeMap<String, String>> seen = new CopyOnWriteArrayList<>();
        String url = serve(exchange -> exchange.getRequestReceiver().receiveFullBytes((ex, body) -> {
            var headers = new TreeMap<String, String>(String.CASE_INSENSITIVE_ORDER);
            for (HeaderValues h : ex.getRequestHeaders()) {
                headers.put(h.getHeaderName().toString(), String.join(",", h));
            }
            seen.add(headers);
            ex.setStatusCode(206);
            ex.getResponseHeaders().put(new HttpString("X-Inngest-Req-Version"), "2");
            ex.getResponseSender().send("[{\"id\":\"a\",\"op\":\"StepRun\",\"data\":1}]");
        }));
        client = new SdkClient(Duration.ofSeconds(30));
        var dispatch = new Dispatches().begin("01RUN", 7, 0, "app-f", 0);
        var reply = client.call(url, "{}".getBytes(StandardCharsets.UTF_8), 1, dispatch);

        assertInstanceOf(SdkAnswer.Ops.class, reply.answer());
        assertEquals(2, reply.requestVersion());
        var headers = seen.getFirst();
        assertEquals(Set.of("Host", "Content-Length", "Content-Type", "User-Agent", "X-Inngest-Server-Kind",
                "X-Inngest-Req-Version", "X-Request-Id", "X-Inngest-Generation-Id"), lower(headers.keySet()), headers.toString());
        assertEquals("application/json", headers.get("Content-Type"));
        assertEquals("2", headers.get("Content-Length"));
        assertEquals("dev", headers.get("X-Inngest-Server-Kind"));
        assertEquals("1", headers.get("X-Inngest-Req-Version"));
        assertEquals(dispatch.requestId(), headers.get("X-Request-Id"));
        assertTrue(headers.get("User-Agent").startsWith("loomstep-devserver/"), headers.toString());
    }

    @Test
    void anEndpointSilentPastTheCallTimeoutIsRetriedAsATimeout() throws Exception {
        var release = new CountDownLatch(1);
        String url = serve(exchange -> exchange.dispatch(() -> {
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            exchange.endExchange();
        }));
        client = new SdkClient(Duration.ofMillis(300));
        try {
            var reply = client.call(url, "{}".getBytes(StandardCharsets.UTF_8), 1, null);
            var retry = assertInstanceOf(SdkAnswer.Retry.class, reply.answer());
            assertEquals("TimeoutError", retry.error().name(), retry.error().toString());
        } finally {
            release.countDown();
        }
    }

    private static Set<String> lower(Set<String> names) {
        // The set of names, spelled as the test lists them, whatever case the client sent.
        var canonical = List.of("Host", "Content-Length", "Content-Type", "User-Agent", "X-Inngest-Server-Kind",
                "X-Inngest-Req-Version", "X-Request-Id", "X-Inngest-Generation-Id");
        var out = new java.util.TreeSet<String>();
        for (String n : names) {
            out.add(canonical.stream().filter(c -> c.equalsIgnoreCase(n)).findFirst().orElse(n));
        }
        return out;
    }
}
