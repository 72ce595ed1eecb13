package dev.loomstep.devserver.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.sun.net.httpserver.HttpServer;
import dev.loomstep.testkit.LogCapture;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The devserver says why an app does not sync each time the reason changes, and when it recovers. */
@Timeout(30)
class AppSyncerTest {
    @Test
    void logsEachNewReasonForAFailedSyncOnceAndTheRecovery() throws Exception {
        var tries = new AtomicInteger();
        HttpServer app = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        app.createContext("/api/inngest", exchange -> {
            int n = tries.incrementAndGet();
            int status = n <= 3 ? 500 : n <= 5 ? 503 : 200;
            String body = n <= 3 ? "{\"message\":\"this app is in cloud mode but has no signing key: set it\"}"
                    : n <= 5 ? "starting up\nmore detail" : "{\"message\":\"Successfully registered\"}";
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(status, bytes.length);
            exchange.getResponseBody().write(bytes);
            exchange.close();
        });
        app.start();
        String url = "http://127.0.0.1:" + app.getAddress().getPort() + "/api/inngest";
        var log = LogCapture.recorder("sync");
        try (var syncer = new AppSyncer(log.logger(), Duration.ofMillis(5))) {
            syncer.start(List.of(url));
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (log.at("INFO").isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(5); // polling interval
            }
        } finally {
            app.stop(0);
        }
        assertEquals(List.of(
                "WARN syncing " + url + " failed: HTTP 500: this app is in cloud mode but has no signing key: set it; retrying every 5 ms",
                "WARN syncing " + url + " failed: HTTP 503: starting up; retrying every 5 ms",
                "INFO synced " + url + " after 5 failed tries"),
                log.lines().stream().map(l -> l.level() + " " + l.message()).toList());
    }

    @Test
    void anUnreachableAppIsReportedOnceAsAConnectionFailure() throws Exception {
        int port;
        try (var closed = new java.net.ServerSocket(0, 0, java.net.InetAddress.getByName("127.0.0.1"))) {
            port = closed.getLocalPort(); // free once closed: connections are refused
        }
        var log = LogCapture.recorder("sync");
        try (var syncer = new AppSyncer(log.logger(), Duration.ofMillis(5))) {
            syncer.start(List.of("http://127.0.0.1:" + port + "/api/inngest"));
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (log.lines().isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(5); // polling interval
            }
            // A window for dozens more tries at 5 ms: the reason stays the same, so still one line.
            Thread.sleep(500);
        }
        assertEquals(1, log.lines().size(), log.lines().toString());
        assertEquals(true, log.lines().get(0).message().contains("cannot connect (ConnectException"), log.lines().toString());
    }
}
