package dev.loomstep.devserver.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class UlidTest {
    @Test
    void makesStrictlyIncreasingCrockfordIds() {
        String previous = Ulid.next();
        for (int i = 0; i < 10_000; i++) {
            String next = Ulid.next();
            assertEquals(26, next.length());
            assertTrue(next.matches("[0-9A-HJKMNP-TV-Z]{26}"), next);
            assertTrue(next.compareTo(previous) > 0, previous + " then " + next);
            previous = next;
        }
    }

    @Test
    void startsWithTheCurrentTime() {
        long before = System.currentTimeMillis();
        String id = Ulid.next();
        long time = 0;
        for (char c : id.substring(0, 10).toCharArray()) {
            time = time * 32 + "0123456789ABCDEFGHJKMNPQRSTVWXYZ".indexOf(c);
        }
        assertTrue(time >= before && time <= System.currentTimeMillis() + 1);
    }
}
