package dev.loomstep.protocol;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Hashes user step ids into the wire ids the executor keys state by: hex SHA-1 of the id, and of
 * {@code "{id}:{n}"} for the n-th repeat (n >= 1) of the same id within one run.
 */
public final class StepIds {
    private static final char[] HEX = "0123456789abcdef".toCharArray();
    private static final ThreadLocal<MessageDigest> SHA1 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-1");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no SHA-1, which the Inngest protocol requires", e);
        }
    });

    private StepIds() {}

    /** The wire id of the {@code repeat}-th use (0 = first) of {@code userId} in a run. */
    public static String hash(String userId, int repeat) {
        return sha1Hex(repeat == 0 ? userId : userId + ":" + repeat);
    }

    /** Lower-case hex SHA-1 of the UTF-8 bytes of {@code text}. */
    public static String sha1Hex(String text) {
        byte[] digest = SHA1.get().digest(text.getBytes(StandardCharsets.UTF_8));
        char[] out = new char[digest.length * 2];
        for (int i = 0; i < digest.length; i++) {
            out[i * 2] = HEX[(digest[i] >> 4) & 0xf];
            out[i * 2 + 1] = HEX[digest[i] & 0xf];
        }
        return new String(out);
    }
}
