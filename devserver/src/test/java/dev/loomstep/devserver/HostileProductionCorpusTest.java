package dev.loomstep.devserver;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.devserver.auth.ApiAccess;
import dev.loomstep.protocol.Json;
import dev.loomstep.testkit.hostile.Corpus;
import dev.loomstep.testkit.hostile.Gen;
import dev.loomstep.testkit.hostile.HostileInput;
import dev.loomstep.testkit.hostile.HostileInput.Request;
import dev.loomstep.testkit.hostile.RawHttp;
import dev.loomstep.testkit.hostile.Refusals;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The production-mode gate under generated input: requests to every route with no key, a wrong one,
 * a malformed Authorization header or another server's key — well-formed bodies and hostile ones —
 * are refused with a one-line 401 (a 4xx) before anything is read or stored, and the server stays
 * healthy. The devserver runs with {@code apiAccess(KEY)}, so the REST API is behind the key too.
 * Seeded; {@code -Dloomstep.hostile.tries=N} runs more (see {@link Corpus}).
 */
class HostileProductionCorpusTest {
    private static final String KEY = ProductionModeTest.SIGNING_KEY;

    private Path dir;
    private DevServer dev;
    private String baseline;

    @BeforeEach
    void start() throws Exception {
        dir = Files.createTempDirectory("hostile-prod");
        dev = DevServer.builder().production().port(0).database(dir.resolve("dev.db")).signingKey(KEY)
                .eventKey(ProductionModeTest.EVENT_KEY).apiAccess(ApiAccess.KEY).start();
        baseline = state();
    }

    @AfterEach
    void stop() throws Exception {
        dev.close();
        try (var files = Files.list(dir)) {
            for (Path p : files.toList()) {
                Files.deleteIfExists(p);
            }
        }
        Files.deleteIfExists(dir);
    }

    /** Runs, events, functions and apps, read with the key. */
    private String state() throws Exception {
        StringBuilder s = new StringBuilder();
        for (String path : new String[] {"/v1/runs?limit=10000", "/v1/events?limit=10000", "/v1/functions", "/v1/apps"}) {
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(dev.url() + path))
                    .header("Authorization", "Bearer " + KEY).build(), HttpResponse.BodyHandlers.ofString());
            JsonNode data = Json.mapper().readTree(r.body()).get("data");
            s.append(path).append('=').append(data.size()).append(' ');
        }
        return s.toString();
    }

    @TestFactory
    Stream<DynamicTest> everyRouteRefusesRequestsWithoutTheRightKey() {
        return Corpus.tries(unauthorized(), this::check);
    }

    private void check(Request r) throws Exception {
        RawHttp.Answer a = Refusals.assertRefused(dev.port(), r);
        // 401 from the gate; or 400 with no body from Undertow itself, for a target it cannot parse (/e/%).
        if (a.status() != 401 && !(a.status() == 400 && a.body().length == 0)) {
            throw new AssertionError("expected 401 before anything is read, got " + a.status() + " " + a.text() + " for " + r);
        }
        Refusals.assertHealthy(() -> {
            try {
                return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(dev.url() + "/health")).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode();
            } catch (Exception e) {
                return -1;
            }
        }, r);
        String now = state();
        if (!now.equals(baseline)) {
            throw new AssertionError("state changed after " + r + "\nbefore: " + baseline + "\nafter:  " + now);
        }
    }

    private Gen<Request> unauthorized() {
        Gen<String> routes = Gen.of("POST /fn/register", "GET /v1/runs", "GET /v1/runs/x", "POST /v1/runs/x/cancel",
                "POST /v1/runs/x/rerun", "DELETE /v1/runs/x", "GET /v1/events", "POST /v1/events/x/replay", "GET /v1/functions",
                "POST /v1/functions/x/invoke", "GET /v1/apps", "POST /v1/apps/x/resync", "GET /v0/runs/x/batch",
                "GET /v0/runs/x/actions", "DELETE /v0/runs/x", "GET /dev", "GET /", "GET /ui/core.js", "GET /nope", "POST /mcp", "GET /mcp");
        Gen<String> badAuth = Gen.oneOf(
                Gen.of("", "Bearer", "Bearer ", "Basic " + KEY, "bearer" + KEY, KEY, "Bearer " + ProductionModeTest.OTHER_KEY,
                        "Bearer signkey-prod-" + "0".repeat(64), "Bearer " + KEY.toUpperCase(), "Bearer " + KEY + "x",
                        "Bearer %FF", "none"),
                Gen.ints(1_000, 6_000).map(n -> "Bearer " + "a".repeat(n)));
        Gen<byte[]> bodies = Gen.oneOf(
                Gen.just("{\"name\":\"test/x\",\"data\":{}}".getBytes(StandardCharsets.UTF_8)),
                HostileInput.malformedJson("{\"name\":\"test/x\",\"data\":{}}"));
        Gen<Request> gated = r -> {
            String route = routes.next(r);
            String auth = badAuth.next(r);
            byte[] body = bodies.next(r);
            String[] mp = route.split(" ", 2);
            Map<String, String> h = new LinkedHashMap<>();
            h.put("Content-Type", "application/json");
            if (!auth.equals("none")) {
                h.put("Authorization", auth);
            }
            return new Request(mp[0], mp[1], h, body);
        };
        // Events with any key but the service's, even one that is well-formed or the dev placeholders.
        Gen<Request> events = Gen.combine(Gen.oneOf(Gen.of("dev", "NO_EVENT_KEY_SET", "dev-ui", "test-key2",
                        "TEST-KEY", "test-ke", KEY), HostileInput.hostileSegment()), bodies,
                (key, body) -> new Request("POST", "/e/" + key, Map.of("Content-Type", "application/json"), body))
                .filter(r -> !r.target().equals("/e/" + ProductionModeTest.EVENT_KEY));
        return Gen.oneOf(gated, events);
    }
}
