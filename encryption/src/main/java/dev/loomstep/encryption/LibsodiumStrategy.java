package dev.loomstep.encryption;

import dev.loomstep.encryption.internal.SecretBox;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * The strategy of {@code @inngest/middleware-encryption} 2.x ({@code "inngest/libsodium"}): each key
 * string is hashed to 32 bytes with BLAKE2b-256, values are sealed with XSalsa20-Poly1305 (NaCl's
 * secretbox) under a fresh random 24-byte nonce, and {@code data} is standard Base64 (with padding) of
 * {@code nonce || tag || ciphertext}. The first key encrypts; every key is tried in turn to decrypt.
 * Keys are trimmed and blank ones dropped, as the JS package does.
 */
public final class LibsodiumStrategy implements EncryptionStrategy {
    /** The envelope's {@code __STRATEGY__} for this scheme. */
    public static final String ID = "inngest/libsodium";

    private static final SecureRandom RANDOM = new SecureRandom();

    private final List<byte[]> keys;

    private LibsodiumStrategy(List<byte[]> keys) {
        this.keys = keys;
    }

    /**
     * A strategy that encrypts with {@code key} and decrypts with it or any of {@code fallbackKeys}.
     *
     * @throws IllegalArgumentException when no key is given (all null or blank)
     */
    public static LibsodiumStrategy of(String key, List<String> fallbackKeys) {
        var all = new ArrayList<String>();
        all.add(key);
        if (fallbackKeys != null) {
            all.addAll(fallbackKeys);
        }
        var hashed = new ArrayList<byte[]>();
        for (String k : all) {
            if (k != null && !k.trim().isEmpty()) {
                hashed.add(SecretBox.genericHash(k.trim().getBytes(StandardCharsets.UTF_8), SecretBox.KEY_BYTES));
            }
        }
        if (hashed.isEmpty()) {
            throw new IllegalArgumentException("the encryption middleware needs a key: none given, or all blank");
        }
        return new LibsodiumStrategy(List.copyOf(hashed));
    }

    @Override
    public String id() {
        return ID;
    }

    @Override
    public String encrypt(byte[] plaintext) {
        byte[] nonce = new byte[SecretBox.NONCE_BYTES];
        RANDOM.nextBytes(nonce);
        byte[] box = SecretBox.seal(plaintext, nonce, keys.get(0));
        byte[] combined = new byte[nonce.length + box.length];
        System.arraycopy(nonce, 0, combined, 0, nonce.length);
        System.arraycopy(box, 0, combined, nonce.length, box.length);
        return Base64.getEncoder().encodeToString(combined);
    }

    @Override
    public byte[] decrypt(String data) {
        byte[] combined;
        try {
            combined = Base64.getDecoder().decode(data);
        } catch (IllegalArgumentException e) {
            throw new DecryptionException("encrypted data is not Base64: " + e.getMessage(), e);
        }
        if (combined.length < SecretBox.NONCE_BYTES + SecretBox.TAG_BYTES) {
            throw new DecryptionException("encrypted data is " + combined.length + " bytes, shorter than a nonce and a tag ("
                    + (SecretBox.NONCE_BYTES + SecretBox.TAG_BYTES) + ")");
        }
        byte[] nonce = java.util.Arrays.copyOfRange(combined, 0, SecretBox.NONCE_BYTES);
        byte[] box = java.util.Arrays.copyOfRange(combined, SecretBox.NONCE_BYTES, combined.length);
        for (byte[] key : keys) {
            byte[] plain = SecretBox.open(box, nonce, key);
            if (plain != null) {
                return plain;
            }
        }
        throw new DecryptionException("none of the " + keys.size() + " encryption key(s) decrypts this value: it was encrypted with"
                + " another key (add that key to fallbackKeys) or changed on the way");
    }
}
