package dev.loomstep.http;

import java.security.SecureRandom;

/** ULIDs for runs a durable endpoint starts (the SDK names the run, as JS does): 48-bit time, 80 random bits. */
final class Ulids {
    private static final char[] ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ".toCharArray();
    private static final SecureRandom RANDOM = new SecureRandom();

    private Ulids() {}

    static String next() {
        char[] out = new char[26];
        long time = System.currentTimeMillis();
        for (int i = 9; i >= 0; i--) {
            out[i] = ALPHABET[(int) (time & 31)];
            time >>>= 5;
        }
        byte[] random = new byte[16];
        RANDOM.nextBytes(random);
        for (int i = 10; i < 26; i++) {
            out[i] = ALPHABET[random[i - 10] & 31];
        }
        return new String(out);
    }
}
