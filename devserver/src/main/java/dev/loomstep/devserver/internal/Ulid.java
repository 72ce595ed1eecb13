package dev.loomstep.devserver.internal;

import java.security.SecureRandom;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Monotonic ULIDs (48-bit millisecond time + 80 random bits, Crockford base32). Within one
 * millisecond the random part is incremented, so ids made by this process sort in creation order;
 * run lists rely on that for "newest first".
 */
public final class Ulid {
    private static final char[] ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ".toCharArray();
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final ReentrantLock LOCK = new ReentrantLock();
    private static long lastMillis = -1;
    private static long randHi; // top 16 of the 80 random bits
    private static long randLo; // low 64 of the 80 random bits

    private Ulid() {}

    /** A new ULID, strictly greater than every earlier one from this process. */
    public static String next() {
        long millis;
        long hi;
        long lo;
        LOCK.lock();
        try {
            millis = Math.max(System.currentTimeMillis(), lastMillis);
            if (millis == lastMillis) {
                randLo++;
                if (randLo == 0) {
                    randHi = (randHi + 1) & 0xFFFF;
                    if (randHi == 0) { // 2^80 ids in one millisecond: borrow the next one
                        millis++;
                    }
                }
            } else {
                randHi = RANDOM.nextInt() & 0xFFFF;
                randLo = RANDOM.nextLong() & 0x7FFF_FFFF_FFFF_FFFFL; // headroom so increments stay monotonic
            }
            lastMillis = millis;
            hi = randHi;
            lo = randLo;
        } finally {
            LOCK.unlock();
        }
        char[] out = new char[26];
        long time = millis;
        for (int i = 9; i >= 0; i--) {
            out[i] = ALPHABET[(int) (time & 31)];
            time >>>= 5;
        }
        // 80 random bits = 16 chars of 5 bits: hi(16 bits) then lo(64 bits)
        for (int i = 25; i >= 10; i--) {
            out[i] = ALPHABET[(int) (lo & 31)];
            lo = (lo >>> 5) | ((hi & 31) << 59);
            hi >>>= 5;
        }
        return new String(out);
    }
}
