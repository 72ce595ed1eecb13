package dev.loomstep.devserver.realtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loomstep.devserver.internal.Ulid;
import dev.loomstep.protocol.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.InstantSource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Realtime subscription tokens, shaped as Inngest's: an HS256 JWT issued by {@code rt.inngest.com} for the
 * account, valid for a minute (long enough to connect with; a connection outlives its token), whose claims
 * name the environment and the {@code topics} it may subscribe to ({@code [{kind, env_id, channel, name}]}).
 * The dev mode secret is the one Inngest's dev server uses, so a token from either server works on the other.
 */
public final class Tokens {
    /** Inngest's dev server secret; production mode derives its own from the signing key. */
    public static final byte[] DEV_SECRET = "dev-mode-is-not-secret".getBytes(StandardCharsets.US_ASCII);
    static final String ISSUER = "rt.inngest.com";
    static final Duration LIFETIME = Duration.ofMinutes(1);
    /** The dev server's fixed account and environment, as Inngest's dev server has them. */
    static final String ACCOUNT = "00000000-0000-4000-a000-000000000000";
    static final String ENV = "00000000-0000-4000-b000-000000000000";
    private static final String HEADER = b64(Json.toBytes(Json.nodes().objectNode().put("alg", "HS256").put("typ", "JWT")));

    private final byte[] secret;
    private final InstantSource clock;

    public Tokens(byte[] secret, InstantSource clock) {
        this.secret = secret.clone();
        this.clock = clock;
    }

    /** A token granting exactly {@code topics}. */
    public String issue(List<Topic> topics) {
        long now = clock.millis() / 1000;
        ObjectNode claims = Json.nodes().objectNode()
                .put("iss", ISSUER).put("sub", ACCOUNT).put("exp", now + LIFETIME.toSeconds()).put("iat", now)
                .put("jti", Ulid.next()).put("env", ENV);
        ArrayNode list = claims.putArray("topics");
        for (Topic t : topics) {
            list.addObject().put("kind", "run").put("env_id", ENV).put("channel", t.channel()).put("name", t.name());
        }
        claims.put("publish", false);
        String signing = HEADER + "." + b64(Json.toBytes(claims));
        return signing + "." + b64(hmac(signing.getBytes(StandardCharsets.US_ASCII)));
    }

    /** The topics a valid token grants. */
    public List<Topic> verify(String token) throws TokenException {
        if (token == null || token.isBlank()) {
            throw new TokenException("no realtime token: pass ?token= (or Authorization: Bearer) with a token from POST /v1/realtime/token");
        }
        String[] parts = token.split("\\.", -1);
        if (parts.length != 3) {
            throw new TokenException("invalid realtime token: expected a JWT (header.claims.signature), got " + parts.length + " part(s)");
        }
        byte[] given;
        JsonNode header;
        JsonNode claims;
        try {
            given = Base64.getUrlDecoder().decode(parts[2]);
            header = Json.mapper().readTree(Base64.getUrlDecoder().decode(parts[0]));
            claims = Json.mapper().readTree(Base64.getUrlDecoder().decode(parts[1]));
        } catch (IllegalArgumentException | IOException e) {
            throw new TokenException("invalid realtime token: not base64url JSON (" + e.getClass().getSimpleName() + ")");
        }
        if (!"HS256".equals(header.path("alg").asText())) {
            throw new TokenException("invalid realtime token: signing method " + header.path("alg") + " is not HS256");
        }
        byte[] expected = hmac((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
        if (!MessageDigest.isEqual(expected, given)) {
            throw new TokenException("invalid realtime token: its signature does not match (it was altered, or issued by another server)");
        }
        if (!ISSUER.equals(claims.path("iss").asText())) {
            throw new TokenException("invalid realtime token: issuer " + claims.path("iss") + " is not " + ISSUER);
        }
        if (!claims.path("exp").canConvertToLong()) {
            throw new TokenException("invalid realtime token: it has no expiry (exp)");
        }
        long now = clock.millis() / 1000;
        if (claims.path("exp").asLong() < now) {
            throw new TokenException("invalid realtime token: it expired " + (now - claims.path("exp").asLong())
                    + "s ago (tokens are valid for " + LIFETIME.toSeconds() + "s; get a fresh one)");
        }
        List<Topic> topics = new ArrayList<>();
        for (JsonNode t : claims.path("topics")) {
            String channel = t.path("channel").asText("");
            String name = t.path("name").asText("");
            if (!channel.isEmpty() && !name.isEmpty()) {
                topics.add(new Topic(channel, name));
            }
        }
        if (topics.isEmpty()) {
            throw new TokenException("invalid realtime token: it grants no topics (a publish token cannot subscribe)");
        }
        return topics;
    }

    private byte[] hmac(byte[] data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            return mac.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is unavailable in this JVM", e);
        }
    }

    private static String b64(byte[] b) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }
}
