package dev.loomstep.http.signing;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The {@code X-Inngest-Signature} scheme: {@code t={unix seconds}&s={hex HMAC-SHA256(key, body ‖ t)}}.
 *
 * <p>The executor signs the raw bytes of each request it sends; an SDK verifies them (spec §4.1.3) and
 * signs its response bodies the same way with the key that verified the request, so the executor can
 * trust the answer too.
 *
 * <pre>{@code
 * String header = Signatures.sign(body, key, Instant.now());
 * switch (Signatures.verify(header, body, key, null, Instant.now())) {
 *     case Verification.Verified v -> ...;
 *     case Verification.Rejected r -> log(r.reason());
 * }
 * }</pre>
 */
public final class Signatures {
    /** How far {@code t} may be from this server's clock, either way (JS 4.24 checks both directions). */
    public static final Duration WINDOW = Duration.ofMinutes(5);

    private Signatures() {}

    /** The outcome of checking a request's signature. */
    public sealed interface Verification {
        /** The signature matched {@code key} (the primary or the fallback): sign the response with it. */
        record Verified(SigningKey key) implements Verification {}

        /** The signature is missing, malformed, stale or wrong; {@code reason} is one line for the caller. */
        record Rejected(String reason) implements Verification {}
    }

    /** Signs {@code body} at {@code at}, returning the whole header value. */
    public static String sign(byte[] body, SigningKey key, Instant at) {
        long t = at.getEpochSecond();
        return "t=" + t + "&s=" + HexFormat.of().formatHex(mac(key, body, t));
    }

    /**
     * Verifies a request. Tries {@code primary}, then {@code fallback} (may be null) when the primary does
     * not match, so a key can be rotated without downtime. The comparison is constant-time.
     */
    public static Verification verify(String header, byte[] body, SigningKey primary, SigningKey fallback, Instant now) {
        if (primary == null && fallback == null) {
            return new Verification.Rejected("no signing key is configured to verify X-Inngest-Signature");
        }
        if (header == null || header.isBlank()) {
            return new Verification.Rejected("missing X-Inngest-Signature header");
        }
        String tText = null;
        String sText = null;
        for (String part : header.trim().split("&")) {
            int eq = part.indexOf('=');
            if (eq <= 0) {
                continue;
            }
            String k = part.substring(0, eq);
            if (k.equals("t") && tText == null) {
                tText = part.substring(eq + 1);
            } else if (k.equals("s") && sText == null) {
                sText = part.substring(eq + 1);
            }
        }
        if (tText == null || tText.isEmpty() || sText == null || sText.isEmpty()) {
            return new Verification.Rejected("malformed X-Inngest-Signature header: expected t={unix seconds}&s={hex}");
        }
        long t;
        try {
            t = Long.parseLong(tText);
        } catch (NumberFormatException e) {
            return new Verification.Rejected("malformed X-Inngest-Signature header: t is not a number of seconds");
        }
        long skew = Math.abs(now.getEpochSecond() - t);
        if (skew > WINDOW.toSeconds()) {
            return new Verification.Rejected("X-Inngest-Signature has expired: t is " + skew
                    + "s away from this server's clock, more than " + WINDOW.toMinutes() + " minutes");
        }
        byte[] given;
        try {
            given = HexFormat.of().parseHex(sText);
        } catch (IllegalArgumentException e) {
            return new Verification.Rejected("malformed X-Inngest-Signature header: s is not hex");
        }
        for (SigningKey key : new SigningKey[] {primary, fallback}) {
            if (key != null && MessageDigest.isEqual(mac(key, body, t), given)) {
                return new Verification.Verified(key);
            }
        }
        return new Verification.Rejected("X-Inngest-Signature does not match the request body for the configured signing key"
                + (primary != null && fallback != null ? " or its fallback" : ""));
    }

    private static byte[] mac(SigningKey key, byte[] body, long t) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key.hmacKey(), "HmacSHA256"));
            mac.update(body);
            mac.update(Long.toString(t).getBytes(StandardCharsets.US_ASCII));
            return mac.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JVM cannot compute HMAC-SHA256", e);
        }
    }
}
