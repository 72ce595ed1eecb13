package dev.loomstep.devserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loomstep.devserver.auth.ApiAccess;
import dev.loomstep.devserver.realtime.Tokens;
import dev.loomstep.devserver.realtime.Topic;
import dev.loomstep.protocol.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The realtime API behind production mode's gate: publishing and tokens need the signing key's bearer (as
 * SDKs send it), a subscription needs only its token, and tokens are signed with this server's own key,
 * so a dev-mode token (Inngest's public dev secret) is refused.
 */
@Timeout(60)
class RealtimeProductionModeTest {
    static final String SIGNING_KEY = ProductionModeTest.SIGNING_KEY;
    final HttpClient http = HttpClient.newHttpClient();
    DevServer dev;

    @AfterEach
    void stop() {
        if (dev != null) {
            dev.close();
        }
    }

    @Test
    void publishingAndTokensNeedTheSigningKeyAndASubscriptionOnlyItsToken() throws Exception {
        dev = DevServer.builder().production().port(0).inMemory().signingKey(SIGNING_KEY).eventKey("k")
                .apiAccess(ApiAccess.KEY).start();
        String bearer = "Bearer signkey-prod-" + sha256Hex(SIGNING_KEY.substring("signkey-prod-".length()));
        String topics = "[{\"channel\":\"c\",\"name\":\"t\",\"kind\":\"run\"}]";

        HttpResponse<String> noKey = post("/v1/realtime/token", topics, null);
        assertEquals(401, noKey.statusCode(), noKey.body());
        assertEquals(401, post("/v1/realtime/publish?channel=c&topic=t", "{}", null).statusCode());
        HttpResponse<String> token = post("/v1/realtime/token", topics, bearer);
        assertEquals(201, token.statusCode(), token.body());
        String jwt = Json.mapper().readTree(token.body()).path("jwt").asText();

        String devToken = new Tokens(Tokens.DEV_SECRET, Clock.systemUTC()).issue(List.of(new Topic("c", "t")));
        HttpResponse<String> foreign = http.send(HttpRequest.newBuilder(URI.create(dev.url() + "/v1/realtime/sse?token=" + devToken)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(401, foreign.statusCode());
        assertTrue(foreign.body().contains("signature does not match"), foreign.body());

        try (var sse = new SseLines(dev.url() + "/v1/realtime/sse?token=" + jwt)) {
            assertEquals(200, sse.status);
            assertEquals(200, post("/v1/realtime/publish?channel=c&topic=t", "{\"n\":1}", bearer).statusCode());
            assertEquals(1, sse.next(Duration.ofSeconds(10)).data().path("n").asInt());
        }
    }

    private HttpResponse<String> post(String path, String body, String auth) throws Exception {
        var b = HttpRequest.newBuilder(URI.create(dev.url() + path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (auth != null) {
            b.header("Authorization", auth);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String sha256Hex(String hex) throws Exception {
        return HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(HexFormat.of().parseHex(hex)));
    }
}
