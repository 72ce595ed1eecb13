package dev.loomstep.devserver.auth;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The keys of a devserver running as a service (like {@code inngest start}): the event keys that may
 * send to {@code POST /e/{key}}, and the signing key it signs its calls to SDKs with and checks their
 * API calls against. The signing key is the same value SDKs get as {@code INNGEST_SIGNING_KEY}:
 * hex, optionally with Inngest's {@code signkey-{env}-} prefix. Never printed.
 */
public final class ServiceKeys {
    private static final Pattern PREFIX = Pattern.compile("^signkey-\\w+-");
    private static final Pattern HEX = Pattern.compile("(?:[0-9a-fA-F]{2})+");

    private final byte[] hmacKey;
    private final byte[] hashedBearer;
    private final byte[] rawBearer;
    private final Set<String> eventKeys;

    private ServiceKeys(String signingKey, List<String> eventKeys) {
        String key = signingKey.trim();
        var m = PREFIX.matcher(key);
        String prefix = m.find() ? m.group() : "";
        String tail = key.substring(prefix.length());
        if (!HEX.matcher(tail).matches()) {
            throw new IllegalArgumentException("the signing key must be hex with an even number of digits (optionally after"
                    + " \"signkey-{env}-\"), as Inngest's are; generate one with: openssl rand -hex 32");
        }
        // As the SDKs do: HMAC with the text after the prefix; the API bearer is the prefix and the hex
        // SHA-256 of the hex-decoded tail.
        this.hmacKey = tail.getBytes(StandardCharsets.UTF_8);
        this.hashedBearer = ("Bearer " + prefix + HexFormat.of().formatHex(sha256(HexFormat.of().parseHex(tail))))
                .getBytes(StandardCharsets.UTF_8);
        this.rawBearer = ("Bearer " + key).getBytes(StandardCharsets.UTF_8);
        this.eventKeys = Set.copyOf(new LinkedHashSet<>(eventKeys));
    }

    /**
     * @throws IllegalArgumentException one line: the signing key is missing or not hex, or there is no
     *                                  event key, or an event key is blank
     */
    public static ServiceKeys of(String signingKey, List<String> eventKeys) {
        if (signingKey == null || signingKey.isBlank()) {
            throw new IllegalArgumentException("production mode needs a signing key (--signing-key or INNGEST_SIGNING_KEY);"
                    + " generate one with: openssl rand -hex 32");
        }
        if (eventKeys == null || eventKeys.isEmpty()) {
            throw new IllegalArgumentException("production mode needs at least one event key (--event-key or INNGEST_EVENT_KEY)");
        }
        for (String k : eventKeys) {
            if (k == null || !k.matches("[A-Za-z0-9._~-]{1,256}")) {
                throw new IllegalArgumentException("an event key must be 1 to 256 URL-safe characters (A-Z a-z 0-9 . _ ~ -)");
            }
        }
        return new ServiceKeys(signingKey, eventKeys);
    }

    /** True when {@code key} is one of the event keys (compared in constant time). */
    public boolean eventKey(String key) {
        boolean found = false;
        byte[] given = key.getBytes(StandardCharsets.UTF_8);
        for (String k : eventKeys) {
            found |= MessageDigest.isEqual(k.getBytes(StandardCharsets.UTF_8), given);
        }
        return found;
    }

    /**
     * True when an {@code Authorization} header carries the signing key: {@code Bearer} and the hashed
     * form SDKs send to Inngest's API, or the key itself (what an operator has at hand for curl).
     */
    public boolean bearer(String authorization) {
        if (authorization == null) {
            return false;
        }
        byte[] given = authorization.trim().getBytes(StandardCharsets.UTF_8);
        return MessageDigest.isEqual(hashedBearer, given) | MessageDigest.isEqual(rawBearer, given);
    }

    /** The {@code X-Inngest-Signature} of a request body sent at {@code epochSeconds}: {@code t=…&s=hex(HMAC-SHA256(key, body ‖ t))}. */
    public String sign(byte[] body, long epochSeconds) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(hmacKey, "HmacSHA256"));
            mac.update(body);
            mac.update(Long.toString(epochSeconds).getBytes(StandardCharsets.US_ASCII));
            return "t=" + epochSeconds + "&s=" + HexFormat.of().formatHex(mac.doFinal());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JVM cannot compute HMAC-SHA256", e);
        }
    }

    /**
     * A 32-byte key for {@code purpose}, derived from the signing key (HKDF-Expand with SHA-256, one
     * block): the same key for the same signing key, and nothing about the signing key revealed.
     */
    public byte[] derive(String purpose) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(hmacKey, "HmacSHA256"));
            mac.update(("loomstep devserver: " + purpose).getBytes(StandardCharsets.UTF_8));
            mac.update((byte) 1);
            return mac.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JVM cannot compute HMAC-SHA256", e);
        }
    }

    @Override
    public String toString() {
        return "ServiceKeys[" + eventKeys.size() + " event key(s), a signing key]";
    }

    private static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JVM has no SHA-256", e);
        }
    }
}
