package dev.loomstep.devserver.flow;

import static dev.loomstep.devserver.flow.Events.forUser;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.loomstep.flow.Throttle;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class ThrottlerTest {
    final ManualClock clock = new ManualClock("2024-03-01T12:00:00Z");
    final Throttler throttler = new Throttler(clock);

    @Test
    void startsLimitRunsAtOnceThenOneEveryPeriodOverLimit() {
        Throttle threePerMinute = Throttle.of(3, Duration.ofMinutes(1));
        for (int i = 0; i < 3; i++) {
            assertEquals(Duration.ZERO, throttler.acquire("fn", threePerMinute, forUser("u")));
        }
        assertEquals(Duration.ofSeconds(20), throttler.acquire("fn", threePerMinute, forUser("u")));
        assertEquals(Duration.ofSeconds(20), throttler.acquire("fn", threePerMinute, forUser("u")), "a refusal takes nothing");
        clock.advance(Duration.ofSeconds(15));
        assertEquals(Duration.ofSeconds(5), throttler.acquire("fn", threePerMinute, forUser("u")));
        clock.advance(Duration.ofSeconds(5));
        assertEquals(Duration.ZERO, throttler.acquire("fn", threePerMinute, forUser("u")));
        assertEquals(Duration.ofSeconds(20), throttler.acquire("fn", threePerMinute, forUser("u")));
    }

    @Test
    void reservingGivesEachRunItsOwnSlot() {
        Throttle twoPerSecond = new Throttle(2, Duration.ofSeconds(1), null, "event.data.user_id");
        List<Duration> waits = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            waits.add(throttler.reserve("fn", twoPerSecond, forUser("u")));
        }
        assertEquals(List.of(Duration.ZERO, Duration.ZERO, Duration.ofMillis(500), Duration.ofMillis(1000), Duration.ofMillis(1500)),
                waits);
        assertEquals(Duration.ZERO, throttler.reserve("fn", twoPerSecond, forUser("other")), "keys are separate");
        clock.advance(Duration.ofSeconds(10));
        assertEquals(Duration.ZERO, throttler.reserve("fn", twoPerSecond, forUser("u")), "an idle key starts at once again");
    }

    @Test
    void burstAddsStartsAtOnce() {
        Throttle withBurst = new Throttle(3, Duration.ofMinutes(1), 2, null);
        for (int i = 0; i < 5; i++) {
            assertEquals(Duration.ZERO, throttler.acquire("fn", withBurst, forUser("u")), "start " + i);
        }
        assertEquals(Duration.ofSeconds(20), throttler.acquire("fn", withBurst, forUser("u")));
    }

    @Test
    void aQueuedRunThatRetriesAfterTheDelayStarts() {
        Throttle onePerSecond = Throttle.of(1, Duration.ofSeconds(1));
        int started = 0;
        long elapsedMillis = 0;
        while (started < 10) {
            Duration wait = throttler.acquire("fn", onePerSecond, forUser("u"));
            if (wait.isZero()) {
                started++;
            } else {
                clock.advance(wait);
                elapsedMillis += wait.toMillis();
            }
        }
        assertEquals(9_000, elapsedMillis, "ten starts take nine seconds: none dropped, none early");
    }

    @Test
    void throttlesEachKeySeparately() {
        Throttle perUser = new Throttle(1, Duration.ofMinutes(1), null, "event.data.user_id");
        assertEquals(Duration.ZERO, throttler.acquire("fn", perUser, forUser("a")));
        assertEquals(Duration.ZERO, throttler.acquire("fn", perUser, forUser("b")));
        assertEquals(Duration.ofMinutes(1), throttler.acquire("fn", perUser, forUser("a")));
        assertEquals(Duration.ZERO, throttler.acquire("other-fn", perUser, forUser("a")));
    }

    @Test
    void grantsExactlyTheCapacityUnderContention() throws Exception {
        Throttle fivePerHour = new Throttle(5, Duration.ofHours(1), 1, null);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Callable<Duration>> attempts = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                attempts.add(() -> throttler.acquire("fn", fivePerHour, forUser("u")));
            }
            int started = 0;
            for (Future<Duration> f : pool.invokeAll(attempts)) {
                started += f.get().isZero() ? 1 : 0;
            }
            assertEquals(6, started);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void rejectsInvalidConfigsWithOneLine() {
        assertEquals("invalid throttle: limit must be at least 1, got 0",
                assertThrows(IllegalArgumentException.class, () -> Throttler.validate(Throttle.of(0, Duration.ofMinutes(1)))).getMessage());
        assertEquals("invalid throttle: burst must be 0 or more, got -1",
                assertThrows(IllegalArgumentException.class, () -> Throttler.validate(new Throttle(1, Duration.ofMinutes(1), -1, null))).getMessage());
        assertEquals("invalid throttle: period must be between 1s and 1w, got 500ms",
                assertThrows(IllegalArgumentException.class, () -> Throttler.validate(Throttle.of(1, Duration.ofMillis(500)))).getMessage());
    }
}
