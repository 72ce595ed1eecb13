package dev.loomstep.connect.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class GoDurationTest {
    private static final Duration FALLBACK = Duration.ofSeconds(7);

    @Test
    void readsTheIntervalsAsGoPrintsThem() {
        assertEquals(Duration.ofSeconds(10), GoDuration.parse("10s", FALLBACK));
        assertEquals(Duration.ofMillis(500), GoDuration.parse("500ms", FALLBACK));
        assertEquals(Duration.ofSeconds(90), GoDuration.parse("1m30s", FALLBACK));
        assertEquals(Duration.ofMillis(1500), GoDuration.parse("1.5s", FALLBACK));
        assertEquals(Duration.ofHours(1), GoDuration.parse("1h", FALLBACK));
    }

    @Test
    void anEmptyOrUnreadableIntervalMeansTheDefault() {
        assertEquals(FALLBACK, GoDuration.parse("", FALLBACK));
        assertEquals(FALLBACK, GoDuration.parse(null, FALLBACK));
        assertEquals(FALLBACK, GoDuration.parse("ten seconds", FALLBACK));
        assertEquals(FALLBACK, GoDuration.parse("10s and more", FALLBACK));
    }

    @Test
    void reconnectDelaysDoubleUpToTheMaximumWithJitterOfAtMostHalf() {
        var o = new WorkerOptions(null, null, null, Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(1),
                Duration.ofSeconds(30), Duration.ofSeconds(5));
        assertEquals(Duration.ofSeconds(1), o.backoff(0, 1.0));
        assertEquals(Duration.ofSeconds(4), o.backoff(2, 1.0));
        assertEquals(Duration.ofSeconds(30), o.backoff(10, 1.0));
        assertEquals(Duration.ofSeconds(30), o.backoff(1000, 1.0));
        assertEquals(Duration.ofMillis(500), o.backoff(0, 0.0));
        assertTrue(o.backoff(3, Math.random()).compareTo(Duration.ofSeconds(4)) >= 0);
    }
}
