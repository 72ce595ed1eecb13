package dev.loomstep.devserver;

import static dev.loomstep.devserver.BadInputTest.assertOneLineError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Config;
import dev.loomstep.Event;
import dev.loomstep.Function;
import dev.loomstep.Loomstep;
import dev.loomstep.Trigger;
import dev.loomstep.devserver.auth.ApiAccess;
import dev.loomstep.testkit.JsPeer;
import dev.loomstep.undertow.LoomstepServer;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The devserver as a service ({@code production()}, the CLI's {@code start}): event keys required, calls
 * to SDKs signed, the SDKs' API calls and the REST API behind the signing key — and real SDKs in cloud
 * mode (Loomstep's, the official JS SDK 4.24) holding INNGEST_SIGNING_KEY and INNGEST_EVENT_KEY run
 * against it end to end, over real HTTP, on a real SQLite file.
 */
@Timeout(90)
class ProductionModeTest {
    /** Hex, as Inngest's self-hosted server wants it (openssl rand -hex 32), with the SDKs' prefix. */
    static final String SIGNING_KEY = "signkey-prod-6f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";
    static final String OTHER_KEY = "signkey-prod-00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    /** The event key {@link Api#send} uses. */
    static final String EVENT_KEY = "test-key";

    DevServer dev;
    LoomstepServer app;
    JsPeer peer;
    java.nio.file.Path dir;

    @AfterEach
    void stop() throws Exception {
        if (app != null) {
            app.close();
        }
        if (peer != null) {
            peer.close();
        }
        if (dev != null) {
            dev.close();
        }
        if (dir != null) {
            try (var files = java.nio.file.Files.list(dir)) {
                for (var f : files.toList()) {
                    java.nio.file.Files.deleteIfExists(f);
                }
            }
            java.nio.file.Files.deleteIfExists(dir);
        }
    }

    private DevServer.Builder production(int port) throws Exception {
        dir = java.nio.file.Files.createTempDirectory("prod");
        return DevServer.builder().production().port(port).database(dir.resolve("dev.db")).retryDelayScale(0.001)
                .signingKey(SIGNING_KEY).eventKey(EVENT_KEY);
    }

    @Test
    void refusesToStartWithoutASigningKeyAnEventKeyOrWithAKeyThatIsNotHex() {
        var noKey = assertThrows(IllegalArgumentException.class, () -> DevServer.builder().production().port(0).inMemory().eventKey("k").start());
        assertTrue(noKey.getMessage().startsWith("production mode needs a signing key"), noKey.getMessage());
        var noEventKey = assertThrows(IllegalArgumentException.class,
                () -> DevServer.builder().production().port(0).inMemory().signingKey(SIGNING_KEY).start());
        assertTrue(noEventKey.getMessage().startsWith("production mode needs at least one event key"), noEventKey.getMessage());
        var notHex = assertThrows(IllegalArgumentException.class,
                () -> DevServer.builder().production().port(0).inMemory().signingKey("signkey-prod-not-hex").eventKey("k").start());
        assertTrue(notHex.getMessage().contains("must be hex"), notHex.getMessage());
    }

    @Test
    void takesEventsOnlyWithOneOfItsKeysAndCommitsWithFullSyncByDefault() throws Exception {
        dev = production(0).eventKey("second-key").start();
        Api api = new Api(dev);
        assertEquals(DevServer.Sync.FULL, dev.synchronous());
        for (String key : new String[] {"dev", "NO_EVENT_KEY_SET", "wrong", "test-key2"}) {
            assertOneLineError(api.request("POST", "/e/" + key, "{\"name\":\"test/x\"}"), 401, "event key not found");
        }
        assertOneLineError(api.request("POST", "/e", "{\"name\":\"test/x\"}"), 401, "event key not found");
        assertEquals(0, api.get("/v1/events").get("data").size(), "a refused key stores nothing");
        assertEquals(200, api.request("POST", "/e/" + EVENT_KEY, "{\"name\":\"test/x\"}").status());
        assertEquals(200, api.request("POST", "/e/second-key", "{\"name\":\"test/x\"}").status());
        assertEquals(2, api.get("/v1/events").get("data").size());
        // The UI's Send event page (key "dev-ui") works for whoever may use the UI: here, this machine.
        assertEquals(200, api.request("POST", "/e/dev-ui", "{\"name\":\"test/from-ui\"}").status());
        assertEquals(3, api.get("/v1/events").get("data").size());
        assertEquals("cloud", HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(dev.url() + "/health")).build(),
                HttpResponse.BodyHandlers.discarding()).headers().firstValue("X-Inngest-Server-Kind").orElse(null));
    }

    @Test
    void guardsSyncsAndTheSdkApiWithTheBearerAndTheRestApiPerItsAccess() throws Exception {
        dev = production(0).apiAccess(ApiAccess.KEY).start();
        String hashed = "Bearer signkey-prod-" + sha256Hex(SIGNING_KEY.substring("signkey-prod-".length()));
        assertEquals(401, send("GET", "/v1/runs", null).statusCode());
        HttpResponse<String> refused = send("GET", "/v1/runs", "Bearer " + OTHER_KEY);
        assertEquals(401, refused.statusCode());
        assertTrue(refused.body().contains("need Authorization: Bearer with this server's signing key"), refused.body());
        assertEquals(401, send("GET", "/", null).statusCode(), "the UI too");
        assertEquals(401, send("POST", "/e/dev-ui", null).statusCode(), "and the UI's Send event page");
        HttpResponse<String> past = send("POST", "/e/dev-ui", "Bearer " + SIGNING_KEY);
        assertEquals(400, past.statusCode(), "with the key it passes the gate; the body {} has no name: " + past.body());
        assertTrue(past.body().contains("is required and must be a non-empty string"), past.body());
        assertEquals(200, send("GET", "/v1/runs", "Bearer " + SIGNING_KEY).statusCode(), "the key as it is");
        assertEquals(200, send("GET", "/v1/runs", hashed).statusCode(), "the key hashed as SDKs send it");
        assertEquals(200, send("GET", "/health", null).statusCode(), "health is open");
        assertEquals(401, send("POST", "/fn/register", null).statusCode(), "a sync without the bearer");
        assertEquals(401, send("GET", "/v0/runs/x/actions", "Bearer " + OTHER_KEY).statusCode());
        assertEquals(404, send("GET", "/v0/runs/x/actions", hashed).statusCode(), "past the gate: no such run");
        assertEquals(401, send("GET", "/v1/runs/x/history", null).statusCode(), "a run's history file too");
        assertEquals(404, send("GET", "/v1/runs/x/history", "Bearer " + SIGNING_KEY).statusCode(), "past the gate: no such run");
        dev.close();

        // The default: this machine reads the REST API and the UI without a key.
        dev = production(0).start();
        assertEquals(200, send("GET", "/v1/runs", null).statusCode());
        assertEquals(200, send("GET", "/", null).statusCode());
        assertEquals(401, send("POST", "/fn/register", null).statusCode(), "SDK calls still need the key");
    }

    @Test
    void aLoomstepAppInCloudModeRunsAgainstItWithItsSigningAndEventKeys() throws Exception {
        dev = production(0).start();
        Api api = new Api(dev);
        var fn = Function.builder("prod").trigger(Trigger.event("prod/go")).handler((in, step) -> {
            int a = step.run("a", Integer.class, () -> 1);
            step.sleep("nap", Duration.ofMillis(100));
            step.sendEvent("tell", Event.of("prod/told", Map.of("a", a)));
            return step.run("b", Integer.class, () -> a + 1);
        });
        Config cloud = Config.from(Map.of("INNGEST_BASE_URL", dev.url(), "INNGEST_SIGNING_KEY", SIGNING_KEY,
                "INNGEST_EVENT_KEY", EVENT_KEY));
        var loomstep = Loomstep.builder("prod-app").config(cloud).functions(fn).build();
        app = LoomstepServer.builder(loomstep).host("127.0.0.1").port(0).start();
        app.sync();

        JsonNode run = api.awaitStatus(api.runOf(api.send("prod/go", Map.of())), "Completed");
        assertEquals(2, run.get("output").asInt(), run.toString());
        assertEquals(1, api.get("/v1/events?name=prod/told").get("data").size(), "sent with the app's event key");
        JsonNode history = api.get("/v1/runs/" + run.get("run_id").asText() + "/history");
        assertEquals("loomstep.run-history", history.get("format").asText(), history.toString());
        assertEquals(List.of("a", "nap", "tell", "b"), history.get("steps").findValuesAsText("name"), history.toString());

        // An app holding another signing key refuses the devserver's signed calls and cannot sync.
        var stranger = Loomstep.builder("stranger").config(Config.from(Map.of("INNGEST_BASE_URL", dev.url(),
                "INNGEST_SIGNING_KEY", OTHER_KEY, "INNGEST_EVENT_KEY", EVENT_KEY))).functions(fn).build();
        try (LoomstepServer other = LoomstepServer.builder(stranger).host("127.0.0.1").port(0).start()) {
            var e = assertThrows(RuntimeException.class, other::sync);
            // It names what it sent (the key's hash, never the key) and the devserver does not ask for a bearer it got.
            assertTrue(e.getMessage().contains("refused the bearer token of INNGEST_SIGNING_KEY (hash "), e.getMessage());
            assertTrue(e.getMessage().contains("the Authorization: Bearer token sent is not this server's signing key"), e.getMessage());
        }
        assertEquals(List.of("prod-app"), api.get("/v1/apps").get("data").findValuesAsText("id"));
    }

    @Test
    void theJsSdkInCloudModeRunsAgainstItWithItsSigningAndEventKeys() throws Exception {
        int port;
        try (var s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        String origin = "http://127.0.0.1:" + port;
        peer = JsPeer.start(Map.of("INNGEST_DEV", "0", "INNGEST_BASE_URL", origin, "INNGEST_SIGNING_KEY", SIGNING_KEY,
                "INNGEST_EVENT_KEY", EVENT_KEY));
        dev = production(port).sync(peer.baseUrl()).start();
        Api api = new Api(dev);
        Api.await(() -> api.get("/v1/functions").get("data"), d -> d.findValuesAsText("id").contains("peer-seq"), "the JS app synced");

        JsonNode seq = api.awaitStatus(api.runOf(api.send("peer/seq", Map.of())), "Completed");
        assertEquals(6, seq.get("output").get("sum").asInt(), seq.toString());
        assertTrue(api.get("/dev").get("checkpoints").get("accepted").asInt() > 0, "JS checkpointed with its bearer");
        api.awaitStatus(api.runOf(api.send("peer/send", Map.of())), "Completed");
        assertEquals(3, api.get("/v1/events?name=peer/sent").get("data").size(), "JS sent its events with the event key");
    }

    private HttpResponse<String> send(String method, String path, String authorization) throws Exception {
        var b = HttpRequest.newBuilder(URI.create(dev.url() + path)).method(method,
                method.equals("POST") ? HttpRequest.BodyPublishers.ofString("{}") : HttpRequest.BodyPublishers.noBody());
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String sha256Hex(String hex) throws Exception {
        return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                .digest(java.util.HexFormat.of().parseHex(hex)));
    }
}
