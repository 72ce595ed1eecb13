package dev.loomstep.http.signing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loomstep.http.signing.Signatures.Verification;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * The signing scheme, checked against vectors produced by the official JS SDK 4.24's own
 * {@code signDataWithKey} and {@code hashSigningKey} (helpers/net.js, helpers/strings.js), and against the
 * spec's bearer example (§4.1.4).
 */
class SignaturesTest {
    static final SigningKey KEY = new SigningKey("signkey-test-8ee2262a15e8d3c42d6a840db7af3de2aab08ef632b32a37a687f24b34dba3ff");
    static final SigningKey OTHER = new SigningKey("signkey-test-00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
    static final Instant T = Instant.ofEpochSecond(1_700_000_000L);
    static final byte[] BODY = "{\"a\":1}".getBytes(StandardCharsets.UTF_8);

    @Test
    void signsBodyFollowedByTimestampWithThePrefixlessKeyAsJs424Does() {
        assertEquals("t=1700000000&s=4e7c74ad8c770412e9f95f3906421639b0dbcd4b4168a7669f7291e344e85d1f", Signatures.sign(BODY, KEY, T));
        assertEquals("t=1700000000&s=184c94497772c48c5a48f48d89e62f7a0ab3199f6ba6d29d23b3db67eed57ea3", Signatures.sign(new byte[0], KEY, T));
    }

    @Test
    void bearerTokenHashesTheHexDecodedTailAndKeepsThePrefix() {
        assertEquals("signkey-prod-b2ed992186a5cb19f6668aade821f502c1d00970dfd0e35128d51bac4649916c",
                new SigningKey("signkey-prod-12345678").bearerToken());
        assertEquals("signkey-test-e4bf4a2e7f55c7eb954b6e72f8f69628fbc409fe7da6d0f6958770987dcf0e02", KEY.bearerToken());
    }

    @Test
    void aKeyWithoutPrefixIsUsedWhole() {
        var bare = new SigningKey("8ee2262a15e8d3c42d6a840db7af3de2aab08ef632b32a37a687f24b34dba3ff");
        assertEquals("", bare.prefix());
        assertEquals(Signatures.sign(BODY, KEY, T), Signatures.sign(BODY, bare, T));
    }

    @Test
    void aKeyWhoseTailIsNotHexCannotBecomeABearerTokenButStillSigns() {
        var key = new SigningKey("signkey-dev-not-hex!");
        var e = assertThrows(IllegalStateException.class, key::bearerToken);
        assertTrue(e.getMessage().contains("not hex"), e.getMessage());
        assertTrue(Signatures.sign(BODY, key, T).startsWith("t=1700000000&s="));
    }

    @Test
    void blankKeysAndKeysWithNothingAfterThePrefixAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new SigningKey(" "));
        assertThrows(IllegalArgumentException.class, () -> new SigningKey("signkey-prod-"));
        assertEquals(null, SigningKey.ofNullable(""));
    }

    @Test
    void toStringNeverShowsTheKey() {
        assertFalse(KEY.toString().contains("8ee2262a"), KEY.toString());
    }

    @Test
    void verifiesAGoodSignatureWithinTheWindowEitherWay() {
        String header = Signatures.sign(BODY, KEY, T);
        for (long offset : new long[] {0, 299, -299, 300, -300}) {
            var v = Signatures.verify(header, BODY, KEY, null, T.plusSeconds(offset));
            assertEquals(KEY, assertInstanceOf(Verification.Verified.class, v).key(), "offset " + offset);
        }
    }

    @Test
    void refusesAStaleOrFutureSignature() {
        String header = Signatures.sign(BODY, KEY, T);
        for (long offset : new long[] {301, -301, 86_400}) {
            var v = assertInstanceOf(Verification.Rejected.class, Signatures.verify(header, BODY, KEY, null, T.plusSeconds(offset)));
            assertTrue(v.reason().contains("expired"), v.reason());
        }
    }

    @Test
    void refusesASignatureOverADifferentBodyOrKey() {
        String header = Signatures.sign(BODY, KEY, T);
        var tampered = "{\"a\":2}".getBytes(StandardCharsets.UTF_8);
        assertInstanceOf(Verification.Rejected.class, Signatures.verify(header, tampered, KEY, null, T));
        var wrongKey = assertInstanceOf(Verification.Rejected.class, Signatures.verify(header, BODY, OTHER, null, T));
        assertTrue(wrongKey.reason().contains("does not match"), wrongKey.reason());
    }

    @Test
    void triesTheFallbackKeyWhenThePrimaryFails() {
        String signedWithFallback = Signatures.sign(BODY, KEY, T);
        var v = Signatures.verify(signedWithFallback, BODY, OTHER, KEY, T);
        assertEquals(KEY, assertInstanceOf(Verification.Verified.class, v).key());
        var primaryWins = Signatures.verify(Signatures.sign(BODY, OTHER, T), BODY, OTHER, KEY, T);
        assertEquals(OTHER, assertInstanceOf(Verification.Verified.class, primaryWins).key());
    }

    @Test
    void refusesMissingAndMalformedHeadersWithAReason() {
        for (String header : new String[] {null, "", "garbage", "t=1700000000", "s=abcd", "t=soon&s=abcd", "t=1700000000&s=zz"}) {
            var v = assertInstanceOf(Verification.Rejected.class, Signatures.verify(header, BODY, KEY, null, T), String.valueOf(header));
            assertFalse(v.reason().isBlank());
            assertFalse(v.reason().contains("\n"));
        }
        var none = assertInstanceOf(Verification.Rejected.class, Signatures.verify(Signatures.sign(BODY, KEY, T), BODY, null, null, T));
        assertTrue(none.reason().contains("no signing key"), none.reason());
    }

    @Test
    void acceptsTheFieldsInAnyOrder() {
        String header = Signatures.sign(BODY, KEY, T);
        String s = header.substring(header.indexOf("s="));
        String t = header.substring(0, header.indexOf('&'));
        assertInstanceOf(Verification.Verified.class, Signatures.verify(s + "&" + t, BODY, KEY, null, T));
    }
}
