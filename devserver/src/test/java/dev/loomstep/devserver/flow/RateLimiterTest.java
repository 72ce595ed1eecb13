package dev.loomstep.devserver.flow;

import static dev.loomstep.devserver.flow.Events.forUser;
import static dev.loomstep.devserver.flow.Events.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loomstep.flow.RateLimit;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class RateLimiterTest {
    final ManualClock clock = new ManualClock("2024-03-01T12:00:00Z");
    final RateLimiter limiter = new RateLimiter(clock);

    @Test
    void allowsOneRunPerPeriodWithLimitOne() {
        RateLimit oncePerHour = RateLimit.of(1, Duration.ofHours(1));
        assertTrue(limiter.allow("fn", oncePerHour, forUser("u")));
        assertFalse(limiter.allow("fn", oncePerHour, forUser("u")));
        clock.advance(Duration.ofMinutes(59));
        assertFalse(limiter.allow("fn", oncePerHour, forUser("u")));
        clock.advance(Duration.ofMinutes(1));
        assertTrue(limiter.allow("fn", oncePerHour, forUser("u")));
        assertFalse(limiter.allow("fn", oncePerHour, forUser("u")));
    }

    @Test
    void spreadsStartsEvenlyWithABurstOfATenthLikeInngest() {
        RateLimit tenPerMinute = RateLimit.of(10, Duration.ofMinutes(1));
        assertTrue(limiter.allow("fn", tenPerMinute, forUser("u")));
        assertTrue(limiter.allow("fn", tenPerMinute, forUser("u")), "burst of limit/10 = 1 extra");
        assertFalse(limiter.allow("fn", tenPerMinute, forUser("u")));
        clock.advance(Duration.ofSeconds(5));
        assertFalse(limiter.allow("fn", tenPerMinute, forUser("u")));
        clock.advance(Duration.ofSeconds(1));
        assertTrue(limiter.allow("fn", tenPerMinute, forUser("u")), "one more every period/limit = 6 s");
        assertFalse(limiter.allow("fn", tenPerMinute, forUser("u")));
    }

    @Test
    void countsOverAMinuteAtMostLimitPlusBurstStarts() {
        RateLimit tenPerMinute = RateLimit.of(10, Duration.ofMinutes(1));
        int allowed = 0;
        for (int second = 0; second < 60; second++) {
            for (int i = 0; i < 5; i++) {
                if (limiter.allow("fn", tenPerMinute, forUser("u"))) {
                    allowed++;
                }
            }
            clock.advance(Duration.ofSeconds(1));
        }
        assertEquals(11, allowed, "2 at once, then one every 6 s for the remaining 54 s");
    }

    @Test
    void limitsEachKeyAndEachFunctionSeparately() {
        RateLimit perUser = new RateLimit(1, Duration.ofHours(1), "event.data.user_id");
        assertTrue(limiter.allow("fn", perUser, forUser("a")));
        assertTrue(limiter.allow("fn", perUser, forUser("b")));
        assertFalse(limiter.allow("fn", perUser, forUser("a")));
        assertTrue(limiter.allow("other-fn", perUser, forUser("a")));
    }

    @Test
    void eventsWithoutTheKeyFieldShareOneBucket() {
        RateLimit perUser = new RateLimit(1, Duration.ofHours(1), "event.data.user_id");
        assertTrue(limiter.allow("fn", perUser, json("{\"data\": {}}")));
        assertFalse(limiter.allow("fn", perUser, json("{\"data\": {\"other\": 1}}")));
    }

    @Test
    void aKeyEvaluatingToFalseExemptsTheEvent() {
        RateLimit exceptVips = new RateLimit(1, Duration.ofHours(1), "event.data.vip ? false : event.data.user_id");
        var vip = json("{\"data\": {\"vip\": true, \"user_id\": \"a\"}}");
        var regular = json("{\"data\": {\"vip\": false, \"user_id\": \"a\"}}");
        for (int i = 0; i < 5; i++) {
            assertTrue(limiter.allow("fn", exceptVips, vip));
        }
        assertTrue(limiter.allow("fn", exceptVips, regular));
        assertFalse(limiter.allow("fn", exceptVips, regular));
    }

    @Test
    void admitsExactlyTheCapacityUnderContention() throws Exception {
        RateLimit tenPerHour = RateLimit.of(10, Duration.ofHours(1));
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Callable<Boolean>> attempts = new ArrayList<>();
            for (int i = 0; i < 400; i++) {
                attempts.add(() -> limiter.allow("fn", tenPerHour, forUser("u")));
            }
            int allowed = 0;
            for (Future<Boolean> f : pool.invokeAll(attempts)) {
                allowed += f.get() ? 1 : 0;
            }
            assertEquals(2, allowed);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void forgetsIdleKeys() {
        RateLimit perUser = new RateLimit(5, Duration.ofSeconds(1), "event.data.user_id");
        for (int i = 0; i < 3000; i++) {
            limiter.allow("fn", perUser, forUser("u" + i));
            clock.advance(Duration.ofMillis(10));
        }
        assertTrue(limiter.trackedKeys() < 1500, "tracked " + limiter.trackedKeys());
    }

    @Test
    void rejectsInvalidConfigsWithOneLine() {
        assertEquals("invalid rateLimit: limit must be at least 1, got 0",
                assertThrows(IllegalArgumentException.class, () -> RateLimiter.validate(RateLimit.of(0, Duration.ofMinutes(1)))).getMessage());
        assertEquals("invalid rateLimit: period must be between 1s and 1d, got 2d",
                assertThrows(IllegalArgumentException.class, () -> RateLimiter.validate(RateLimit.of(1, Duration.ofDays(2)))).getMessage());
        assertEquals("invalid rateLimit: period must be between 1s and 1d, got none",
                assertThrows(IllegalArgumentException.class, () -> limiter.allow("fn", RateLimit.of(1, null), forUser("u"))).getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> RateLimiter.validate(new RateLimit(1, Duration.ofMinutes(1), "event.data.")));
    }
}
