package dev.loomstep.encryption.internal;

import org.bouncycastle.crypto.digests.Blake2bDigest;
import org.bouncycastle.crypto.engines.XSalsa20Engine;
import org.bouncycastle.crypto.macs.Poly1305;
import org.bouncycastle.crypto.params.KeyParameter;
import org.bouncycastle.crypto.params.ParametersWithIV;

/**
 * NaCl's {@code crypto_secretbox} (XSalsa20 stream, Poly1305 tag: {@code tag || ciphertext}) and
 * libsodium's unkeyed {@code crypto_generichash} (BLAKE2b) built from BouncyCastle's primitives.
 * Stateless; every call makes its own engine, so it is safe from any thread.
 */
public final class SecretBox {
    public static final int KEY_BYTES = 32;
    public static final int NONCE_BYTES = 24;
    public static final int TAG_BYTES = 16;
    /** The first 32 bytes of the XSalsa20 stream are Poly1305's one-time key, not used for the message. */
    private static final int POLY_KEY_BYTES = 32;

    private SecretBox() {}

    /** BLAKE2b of {@code input} with an output of {@code outBytes} bytes and no key. */
    public static byte[] genericHash(byte[] input, int outBytes) {
        var digest = new Blake2bDigest(outBytes * 8);
        digest.update(input, 0, input.length);
        byte[] out = new byte[outBytes];
        digest.doFinal(out, 0);
        return out;
    }

    /** {@code crypto_secretbox_easy}: the 16-byte tag followed by the ciphertext, as long as the message. */
    public static byte[] seal(byte[] message, byte[] nonce, byte[] key) {
        check(nonce, key);
        byte[] stream = xsalsa20(new byte[POLY_KEY_BYTES + message.length], POLY_KEY_BYTES, message, nonce, key);
        byte[] out = new byte[TAG_BYTES + message.length];
        System.arraycopy(stream, POLY_KEY_BYTES, out, TAG_BYTES, message.length);
        byte[] tag = poly1305(stream, out, TAG_BYTES, message.length);
        System.arraycopy(tag, 0, out, 0, TAG_BYTES);
        return out;
    }

    /** {@code crypto_secretbox_open_easy}: the message, or null when the tag does not match (wrong key or changed data). */
    public static byte[] open(byte[] box, byte[] nonce, byte[] key) {
        check(nonce, key);
        if (box.length < TAG_BYTES) {
            return null;
        }
        int length = box.length - TAG_BYTES;
        byte[] polyKey = xsalsa20(new byte[POLY_KEY_BYTES], POLY_KEY_BYTES, new byte[0], nonce, key);
        byte[] expected = poly1305(polyKey, box, TAG_BYTES, length);
        if (!org.bouncycastle.util.Arrays.constantTimeAreEqual(TAG_BYTES, expected, 0, box, 0)) {
            return null;
        }
        byte[] ciphertext = new byte[length];
        System.arraycopy(box, TAG_BYTES, ciphertext, 0, length);
        byte[] stream = xsalsa20(new byte[POLY_KEY_BYTES + length], POLY_KEY_BYTES, ciphertext, nonce, key);
        byte[] message = new byte[length];
        System.arraycopy(stream, POLY_KEY_BYTES, message, 0, length);
        return message;
    }

    /** XORs the key stream over {@code buffer}, after copying {@code text} into it at {@code offset}. */
    private static byte[] xsalsa20(byte[] buffer, int offset, byte[] text, byte[] nonce, byte[] key) {
        System.arraycopy(text, 0, buffer, offset, text.length);
        var engine = new XSalsa20Engine();
        engine.init(true, new ParametersWithIV(new KeyParameter(key), nonce));
        engine.processBytes(buffer, 0, buffer.length, buffer, 0);
        return buffer;
    }

    private static byte[] poly1305(byte[] keyStream, byte[] data, int offset, int length) {
        var mac = new Poly1305();
        mac.init(new KeyParameter(keyStream, 0, POLY_KEY_BYTES));
        mac.update(data, offset, length);
        byte[] tag = new byte[TAG_BYTES];
        mac.doFinal(tag, 0);
        return tag;
    }

    private static void check(byte[] nonce, byte[] key) {
        if (nonce.length != NONCE_BYTES || key.length != KEY_BYTES) {
            throw new IllegalArgumentException("secretbox wants a " + NONCE_BYTES + "-byte nonce and a " + KEY_BYTES
                    + "-byte key, got " + nonce.length + " and " + key.length);
        }
    }
}
