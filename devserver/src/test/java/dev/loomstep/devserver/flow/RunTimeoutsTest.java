package dev.loomstep.devserver.flow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loomstep.flow.Timeouts;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RunTimeoutsTest {
    final Instant t0 = Instant.parse("2024-03-01T12:00:00Z");
    final Timeouts both = new Timeouts(Duration.ofSeconds(30), Duration.ofMinutes(5));

    @Test
    void computesDeadlinesFromScheduleAndStart() {
        assertEquals(Optional.of(t0.plusSeconds(30)), RunTimeouts.startDeadline(both, t0));
        assertEquals(Optional.of(t0.plusSeconds(300)), RunTimeouts.finishDeadline(both, t0));
        assertEquals(Optional.empty(), RunTimeouts.startDeadline(new Timeouts(null, Duration.ofMinutes(1)), t0));
        assertEquals(Optional.empty(), RunTimeouts.finishDeadline(null, t0));
    }

    @Test
    void expiresStrictlyAfterTheDeadline() {
        assertFalse(RunTimeouts.startExpired(both, t0, t0.plusSeconds(30)));
        assertTrue(RunTimeouts.startExpired(both, t0, t0.plusSeconds(30).plusMillis(1)));
        assertFalse(RunTimeouts.finishExpired(both, t0, t0.plusSeconds(300)));
        assertTrue(RunTimeouts.finishExpired(both, t0, t0.plusSeconds(301)));
        assertFalse(RunTimeouts.finishExpired(null, t0, t0.plus(Duration.ofDays(365))));
    }
}
