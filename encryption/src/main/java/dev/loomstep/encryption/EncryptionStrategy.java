package dev.loomstep.encryption;

/**
 * How values are turned into the {@code data} string of an encrypted envelope and back. The default,
 * {@link LibsodiumStrategy}, is the one {@code @inngest/middleware-encryption} uses; implement this to
 * use your own scheme (a KMS, another cipher). Implementations must be safe to call from many threads.
 *
 * <pre>{@code
 * EncryptionMiddleware.builder().strategy(new MyKmsStrategy(kms)).build();
 * }</pre>
 */
public interface EncryptionStrategy {

    /** Written as the envelope's {@code __STRATEGY__}, such as {@code "inngest/libsodium"}. */
    String id();

    /** Encrypts the UTF-8 JSON text of a value into the envelope's {@code data} string. */
    String encrypt(byte[] plaintext);

    /**
     * Decrypts an envelope's {@code data} string back into the UTF-8 JSON text.
     *
     * @throws DecryptionException when it cannot (wrong key, changed or malformed data)
     */
    byte[] decrypt(String data);
}
