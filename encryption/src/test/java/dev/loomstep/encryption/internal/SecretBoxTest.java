package dev.loomstep.encryption.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class SecretBoxTest {
    static final HexFormat HEX = HexFormat.of();

    @Test
    void genericHashIsUnkeyedBlake2b256() {
        // BLAKE2b-256 of the empty string and of "abc" (RFC 7693's test input).
        assertEquals("0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8", HEX.formatHex(SecretBox.genericHash(new byte[0], 32)));
        assertEquals("bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319",
                HEX.formatHex(SecretBox.genericHash("abc".getBytes(StandardCharsets.US_ASCII), 32)));
    }

    @Test
    void opensWhatItSealsAndRefusesAnyChangedByteOrOtherKey() {
        byte[] key = SecretBox.genericHash("k".getBytes(StandardCharsets.UTF_8), 32);
        byte[] nonce = new byte[24];
        nonce[3] = 9;
        byte[] message = "attack at dawn".getBytes(StandardCharsets.UTF_8);
        byte[] box = SecretBox.seal(message, nonce, key);
        assertEquals(16 + message.length, box.length);
        assertArrayEquals(message, SecretBox.open(box, nonce, key));
        for (int i = 0; i < box.length; i++) {
            byte[] changed = box.clone();
            changed[i] ^= 1;
            assertNull(SecretBox.open(changed, nonce, key), "byte " + i + " changed");
        }
        assertNull(SecretBox.open(box, nonce, SecretBox.genericHash("other".getBytes(StandardCharsets.UTF_8), 32)));
        assertArrayEquals(new byte[0], SecretBox.open(SecretBox.seal(new byte[0], nonce, key), nonce, key));
    }
}
