package dev.loomstep.devserver.flow;

import static dev.loomstep.devserver.flow.Events.forUser;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class IdempotencyGuardTest {
    final ManualClock clock = new ManualClock("2024-03-01T12:00:00Z");
    final IdempotencyGuard guard = new IdempotencyGuard(clock);
    final String byUser = "event.data.user_id";

    @Test
    void allowsOneRunPerKeyPerDay() {
        assertTrue(guard.tryClaim("fn", byUser, forUser("a")));
        assertFalse(guard.tryClaim("fn", byUser, forUser("a")));
        assertTrue(guard.tryClaim("fn", byUser, forUser("b")));
        assertTrue(guard.tryClaim("other-fn", byUser, forUser("a")));
        clock.advance(Duration.ofHours(24).minusMillis(1));
        assertFalse(guard.tryClaim("fn", byUser, forUser("a")));
        clock.advance(Duration.ofMillis(1));
        assertTrue(guard.tryClaim("fn", byUser, forUser("a")), "the claim lapses after 24 h");
        assertFalse(guard.tryClaim("fn", byUser, forUser("a")));
    }

    @Test
    void aRejectedEventDoesNotExtendTheClaim() {
        assertTrue(guard.tryClaim("fn", byUser, forUser("a")));
        clock.advance(Duration.ofHours(23));
        assertFalse(guard.tryClaim("fn", byUser, forUser("a")));
        clock.advance(Duration.ofHours(1));
        assertTrue(guard.tryClaim("fn", byUser, forUser("a")));
    }

    @Test
    void exactlyOneOfManyRacingEventsWins() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Callable<Boolean>> racers = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                racers.add(() -> guard.tryClaim("fn", byUser, forUser("a")));
            }
            int winners = 0;
            for (Future<Boolean> f : pool.invokeAll(racers)) {
                winners += f.get() ? 1 : 0;
            }
            assertEquals(1, winners);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void forgetsExpiredClaims() {
        IdempotencyGuard shortWindow = new IdempotencyGuard(clock, Duration.ofSeconds(1));
        for (int i = 0; i < 3000; i++) {
            shortWindow.tryClaimKey("k" + i);
            clock.advance(Duration.ofMillis(10));
        }
        assertTrue(shortWindow.trackedKeys() < 1500, "tracked " + shortWindow.trackedKeys());
    }
}
