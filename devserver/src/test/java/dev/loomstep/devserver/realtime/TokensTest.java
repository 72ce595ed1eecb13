package dev.loomstep.devserver.realtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loomstep.devserver.MovableClock;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class TokensTest {
    final List<Topic> topics = List.of(new Topic("orders/1", "status"), new Topic("orders/1", "eta"));

    @Test
    void aTokenGrantsExactlyItsTopicsUntilItExpires() throws Exception {
        var clock = new MovableClock(Instant.parse("2026-01-01T00:00:00Z"));
        var tokens = new Tokens(Tokens.DEV_SECRET, clock);
        String jwt = tokens.issue(topics);
        assertEquals(topics, tokens.verify(jwt));
        clock.advance(Duration.ofSeconds(61));
        var e = assertThrows(TokenException.class, () -> tokens.verify(jwt));
        assertTrue(e.getMessage().startsWith("invalid realtime token: it expired ") && e.getMessage().contains("valid for 60s"), e.getMessage());
    }

    @Test
    void aTokenFromAnotherSecretOrMalformedIsRefusedWithOneLine() {
        var clock = new MovableClock(Instant.now());
        String foreign = new Tokens("another".getBytes(StandardCharsets.UTF_8), clock).issue(topics);
        var tokens = new Tokens(Tokens.DEV_SECRET, clock);
        assertTrue(assertThrows(TokenException.class, () -> tokens.verify(foreign)).getMessage().contains("signature does not match"));
        assertTrue(assertThrows(TokenException.class, () -> tokens.verify("abc")).getMessage().contains("expected a JWT"));
        assertTrue(assertThrows(TokenException.class, () -> tokens.verify("")).getMessage().startsWith("no realtime token"));
        assertTrue(assertThrows(TokenException.class, () -> tokens.verify("a.b.c")).getMessage().contains("not base64url JSON"));
    }
}
