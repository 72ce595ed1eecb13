package dev.loomstep.http.signing;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * An Inngest signing key, {@code signkey-{env}-{hex}}, and the two forms the protocol derives from it.
 *
 * <ul>
 *   <li>{@link #hmacKey()}: the key that signs and verifies request and response bodies. It is the
 *       text after the {@code signkey-{env}-} prefix, as its UTF-8 bytes; the hex is <em>not</em>
 *       decoded (this is what the official Go and JS SDKs feed to HMAC).</li>
 *   <li>{@link #bearerToken()}: the credential for the executor's API, {@code signkey-{env}-} followed by
 *       the hex SHA-256 of the hex-<em>decoded</em> tail (spec §4.1.4).</li>
 * </ul>
 *
 * {@link #toString()} never prints the key.
 */
public record SigningKey(String value) {
    private static final Pattern PREFIX = Pattern.compile("^signkey-\\w+-");

    public SigningKey {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("a signing key must not be blank; it looks like signkey-{env}-{hex}");
        }
        value = value.trim();
        if (PREFIX.matcher(value).replaceFirst("").isEmpty()) {
            throw new IllegalArgumentException("the signing key has nothing after its \"signkey-{env}-\" prefix");
        }
    }

    /** A key, or null for a null or blank value (configuration reads either). */
    public static SigningKey ofNullable(String value) {
        return value == null || value.isBlank() ? null : new SigningKey(value);
    }

    /** The {@code signkey-{env}-} prefix, or "" when the key has none. */
    public String prefix() {
        var m = PREFIX.matcher(value);
        return m.find() ? m.group() : "";
    }

    /** The key with its {@code signkey-{env}-} prefix removed. */
    public String tail() {
        return value.substring(prefix().length());
    }

    /** The HMAC-SHA256 key: the UTF-8 bytes of {@link #tail()}. */
    public byte[] hmacKey() {
        return tail().getBytes(StandardCharsets.UTF_8);
    }

    /** Hex SHA-256 of the hex-decoded tail, without prefix. */
    public String hashedTail() {
        byte[] raw;
        try {
            raw = HexFormat.of().parseHex(tail());
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("the signing key's part after \"" + prefix()
                    + "\" is not hex, so it cannot be hashed into an API token; copy the key again from the Inngest dashboard");
        }
        return HexFormat.of().formatHex(sha256(raw));
    }

    /** {@code Authorization: Bearer} value for the executor's API: {@code signkey-{env}-{sha256 hex}}. */
    public String bearerToken() {
        return prefix() + hashedTail();
    }

    static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no SHA-256", e);
        }
    }

    @Override
    public String toString() {
        return "SigningKey[" + (prefix().isEmpty() ? "" : prefix()) + "…]";
    }
}
