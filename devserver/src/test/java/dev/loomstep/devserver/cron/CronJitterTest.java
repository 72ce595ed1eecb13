package dev.loomstep.devserver.cron;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class CronJitterTest {
    private static final Instant NINE = Instant.parse("2026-01-05T09:00:00Z");

    @Test
    void aFiringIsDueUpToTheJitterAfterItsScheduledTimeSpreadOverTheWholeRange() {
        var random = new SplittableRandom(7);
        var seenMinutes = new HashSet<Long>();
        for (int i = 0; i < 2_000; i++) {
            Instant due = CronJitter.due(NINE, Duration.ofMinutes(10), random);
            assertTrue(!due.isBefore(NINE) && !due.isAfter(NINE.plus(Duration.ofMinutes(10))), due.toString());
            seenMinutes.add(Duration.between(NINE, due).toMinutes());
        }
        assertEquals(10, seenMinutes.size(), "every minute of the jitter is used: " + seenMinutes);
    }

    @Test
    void withoutJitterAFiringIsDueAtItsScheduledTime() {
        assertEquals(NINE, CronJitter.due(NINE, null, new SplittableRandom(1)));
    }

    @Test
    void theScheduleGoesOnFromTheScheduledTimeUnlessTheClockJumpedPastTheJitter() {
        Duration jitter = Duration.ofMinutes(10);
        assertEquals(NINE, CronJitter.nextAfter(NINE, NINE.plus(Duration.ofMinutes(7)), jitter), "fired late by the jitter");
        Instant wokeUp = NINE.plus(Duration.ofHours(5));
        assertEquals(wokeUp.minus(jitter), CronJitter.nextAfter(NINE, wokeUp, jitter), "missed firings collapse");
        assertEquals(wokeUp, CronJitter.nextAfter(NINE, wokeUp, null), "without jitter, as before: after now");
    }
}
