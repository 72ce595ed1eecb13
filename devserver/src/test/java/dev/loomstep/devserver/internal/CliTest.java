package dev.loomstep.devserver.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loomstep.devserver.DevServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CliTest {
    @TempDir
    Path dir;

    @Test
    void startsFromFlagsAndPrintsWhereItListensAndKeepsItsData() {
        Path db = dir.resolve("x.db");
        try (DevServer dev = Cli.parse(new String[] {"--port", "0", "--db", db.toString(), "--retry-delay-scale=0.5"}).start()) {
            String line = Cli.startLine(dev);
            assertTrue(line.contains(dev.url()), line);
            assertTrue(line.contains(db.toAbsolutePath().toString()), line);
            assertTrue(line.contains("(sync normal)"), line);
        }
        try (DevServer dev = Cli.parse(new String[] {"--port", "0", "--db", db.toString(), "--sync", "full"}).start()) {
            assertEquals(DevServer.Sync.FULL, dev.synchronous());
            assertTrue(Cli.startLine(dev).contains("(sync full)"), Cli.startLine(dev));
        }
        try (DevServer dev = Cli.parse(new String[] {"--port=0", "--in-memory"}).start()) {
            assertTrue(Cli.startLine(dev).contains("in memory"));
        }
    }

    @Test
    void connectGatewayPortIsAFlagAndConnectCanBeTurnedOff() {
        try (DevServer dev = Cli.parse(new String[] {"--port", "0", "--in-memory", "--connect-gateway-port", "0"}).start()) {
            assertTrue(dev.connectPort() > 0, "a free gateway port: " + dev.connectPort());
            assertTrue(Cli.startLine(dev).contains("Connect gateway: ws://127.0.0.1:" + dev.connectPort() + "/v0/connect"), Cli.startLine(dev));
        }
        try (DevServer dev = Cli.parse(new String[] {"--port=0", "--in-memory", "--no-connect"}).start()) {
            assertEquals(-1, dev.connectPort());
            assertTrue(!Cli.startLine(dev).contains("Connect"), Cli.startLine(dev));
        }
        var both = assertThrows(IllegalArgumentException.class,
                () -> Cli.parse(new String[] {"--no-connect", "--connect-gateway-port", "9000"}));
        assertEquals("--connect-gateway-port and --no-connect exclude each other", both.getMessage());
        assertEquals("--connect-gateway-port needs a number, got \"x\"",
                assertThrows(IllegalArgumentException.class, () -> Cli.parse(new String[] {"--connect-gateway-port", "x"})).getMessage());
    }

    @Test
    void withASigningKeyTheCheckpointApiAsksForTheSdksBearer() throws Exception {
        try (DevServer dev = Cli.parse(new String[] {"--port=0", "--in-memory", "--signing-key", "signkey-test-abcd"}).start()) {
            var request = HttpRequest.newBuilder(URI.create(dev.url() + "/v1/checkpoint/01ARZ3NDEKTSV4RRFFQ69G5FAV/async"))
                    .POST(HttpRequest.BodyPublishers.ofString("{}")).build();
            var answer = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
            assertEquals(401, answer.statusCode(), answer.body());
        }
        assertThrows(IllegalArgumentException.class, () -> Cli.parse(new String[] {"--signing-key"}));
        assertThrows(IllegalArgumentException.class, () -> Cli.parse(new String[] {"--signing-key= "}));
    }

    @Test
    void maxConcurrentCallsBoundsTheQueueAndTakesOnlyAPositiveWholeNumber() {
        try (DevServer dev = Cli.parse(new String[] {"--port=0", "--in-memory", "--max-concurrent-calls", "7"}).start()) {
            assertEquals(7, dev.maxConcurrentCalls());
        }
        try (DevServer dev = Cli.parse(new String[] {"--port=0", "--in-memory", "--max-concurrent-calls=1"}).start()) {
            assertEquals(1, dev.maxConcurrentCalls());
        }
        try (DevServer dev = Cli.parse(new String[] {"--port=0", "--in-memory"}).start()) {
            assertEquals(1000, dev.maxConcurrentCalls(), "the default");
        }
        for (String bad : new String[] {"0", "-3", "ten", "1.5", "99999999999", ""}) {
            var e = assertThrows(IllegalArgumentException.class, () -> Cli.parse(new String[] {"--max-concurrent-calls=" + bad}));
            assertEquals("--max-concurrent-calls needs a whole number of at least 1, got \"" + bad + "\"", e.getMessage());
        }
        var missing = assertThrows(IllegalArgumentException.class, () -> Cli.parse(new String[] {"--max-concurrent-calls"}));
        assertEquals("--max-concurrent-calls needs a value", missing.getMessage());
    }

    @Test
    void explainsBadFlags() {
        assertNull(Cli.parse(new String[] {"--help"}));
        var unknown = assertThrows(IllegalArgumentException.class, () -> Cli.parse(new String[] {"--prot", "1"}));
        assertTrue(unknown.getMessage().contains("--prot"));
        assertThrows(IllegalArgumentException.class, () -> Cli.parse(new String[] {"--port", "x"}));
        assertThrows(IllegalArgumentException.class, () -> Cli.parse(new String[] {"--port"}));
        assertThrows(IllegalArgumentException.class, () -> Cli.parse(new String[] {"-u", "localhost:3000"}));
        assertThrows(IllegalArgumentException.class, () -> Cli.parse(new String[] {"--db", "a.db", "--in-memory"}));
        assertThrows(IllegalArgumentException.class, () -> Cli.parse(new String[] {"--retry-delay-scale", "-2"}));
        var sync = assertThrows(IllegalArgumentException.class, () -> Cli.parse(new String[] {"--sync", "fast"}));
        assertEquals("--sync needs full or normal, got \"fast\"", sync.getMessage());
    }

    @Test
    void startRunsInProductionModeWithKeysFromFlagsOrTheEnvironmentAndRefusesToStartWithoutThem() throws Exception {
        String key = "signkey-prod-00112233445566778899aabbccddeeff";
        try (DevServer dev = Cli.parse(new String[] {"start", "--port=0", "--in-memory", "--signing-key", key, "--event-key", "k1"}, Map.of()).start()) {
            assertTrue(dev.production());
            assertEquals(DevServer.Sync.FULL, dev.synchronous(), "production commits with full sync unless told otherwise");
            assertTrue(Cli.startLine(dev).startsWith("Loomstep devserver (production mode) listening on "), Cli.startLine(dev));
        }
        try (DevServer dev = Cli.parse(new String[] {"start", "--port=0", "--in-memory", "--sync=normal"},
                Map.of("INNGEST_SIGNING_KEY", key, "INNGEST_EVENT_KEY", "k2")).start()) {
            assertTrue(dev.production());
            assertEquals(DevServer.Sync.NORMAL, dev.synchronous());
        }
        var missing = assertThrows(IllegalArgumentException.class, () -> Cli.parse(new String[] {"start", "--port=0", "--in-memory"}, Map.of()).start());
        assertTrue(missing.getMessage().contains("--signing-key or INNGEST_SIGNING_KEY"), missing.getMessage());
        var devOnly = assertThrows(IllegalArgumentException.class, () -> Cli.parse(new String[] {"--event-key", "k"}, Map.of()));
        assertTrue(devOnly.getMessage().contains("belong to production mode"), devOnly.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Cli.parse(new String[] {"start", "--api-access", "open"}, Map.of()));
    }
}
