package dev.loomstep.devserver.flow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.flow.BatchEvents;
import dev.loomstep.flow.Debounce;
import dev.loomstep.flow.RateLimit;
import dev.loomstep.flow.Singleton;
import dev.loomstep.flow.Throttle;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Each decision's way to report its state ({@link WindowListener}, {@link Batcher#peek}) and to take
 * it back after a restart ({@code restore}): a limiter given back what an earlier one reported decides
 * as that one would have.
 */
class RestoredStateTest {
    final ManualClock clock = new ManualClock("2024-03-01T12:00:00Z");
    final JsonNode event = Events.forUser("u1");

    record Moved(String key, long tat) {}

    @Test
    void aRateLimiterGivenTheReportedWindowRefusesAsTheFirstWould() {
        var moved = new ArrayList<Moved>();
        var first = new RateLimiter(clock, (k, t) -> moved.add(new Moved(k, t)));
        RateLimit onePerHour = RateLimit.of(1, Duration.ofHours(1));
        assertTrue(first.allow("fn", onePerHour, event));
        assertFalse(first.allow("fn", onePerHour, event));
        assertEquals(1, moved.size(), "only a counted start moves the window");

        var second = new RateLimiter(clock);
        moved.forEach(m -> second.restore(m.key(), m.tat()));
        assertFalse(second.allow("fn", onePerHour, event));
        clock.advance(Duration.ofHours(1));
        assertTrue(second.allow("fn", onePerHour, event));
    }

    @Test
    void aThrottlerGivenTheReportedWindowHandsOutTheNextSlot() {
        var moved = new ArrayList<Moved>();
        var first = new Throttler(clock, (k, t) -> moved.add(new Moved(k, t)));
        Throttle onePerMinute = Throttle.of(1, Duration.ofMinutes(1));
        assertEquals(Duration.ZERO, first.reserve("fn", onePerMinute, event));

        var second = new Throttler(clock);
        Moved last = moved.get(moved.size() - 1);
        second.restore(last.key(), last.tat());
        second.restore(last.key(), last.tat() - 1_000); // an older report never moves it back
        assertEquals(Duration.ofMinutes(1), second.reserve("fn", onePerMinute, event));
    }

    @Test
    void anIdempotencyClaimIsRestoredOnlyWithinItsWindow() {
        var guard = new IdempotencyGuard(clock);
        guard.restore("fn:7", clock.instant().minus(Duration.ofHours(23)));
        guard.restore("fn:8", clock.instant().minus(Duration.ofHours(25)));

        assertFalse(guard.tryClaimKey("fn:7"), "claimed 23 h ago");
        assertTrue(guard.tryClaimKey("fn:8"), "claimed 25 h ago: expired");
        assertEquals(IdempotencyGuard.WINDOW, guard.window());
    }

    @Test
    void aRestoredSingletonHolderIsSkippedAndReleasedLikeAnAdmittedOne() {
        var guard = new SingletonGuard();
        Singleton skip = new Singleton("event.data.user_id", Singleton.Mode.skip);
        guard.restore(FlowKeys.scoped("fn", skip.key(), event), "run-1");

        assertInstanceOf(SingletonGuard.Skip.class, guard.admit("fn", skip, event, "run-2"));
        guard.release("run-1");
        assertInstanceOf(SingletonGuard.Start.class, guard.admit("fn", skip, event, "run-2"));
    }

    @Test
    void aRestoredDebounceIsDueAtItsSavedTimeAndANewerHoldingIsNotReplaced() {
        var debouncer = new Debouncer(clock);
        Instant now = clock.instant();
        var saved = new Debouncer.Pending("fn", "fn:", Events.forUser("old"), now.minusSeconds(5), now.plusSeconds(5));
        debouncer.restore(saved);
        assertEquals(List.of(saved), debouncer.pending());

        Debouncer.Pending newer = debouncer.offer("fn", Debounce.of(Duration.ofSeconds(10)), event);
        debouncer.restore(saved); // a late duplicate of the saved one
        assertEquals(List.of(newer), debouncer.pending(), "the newer holding stays");
    }

    @Test
    void aRestoredBatchKeepsItsEventsAndDueTimeAndPeekShowsItAsItStands() {
        var batcher = new Batcher(clock);
        Instant now = clock.instant();
        batcher.restore("fn", "fn:", List.of(Events.forUser("a"), Events.forUser("b")), now.minusSeconds(50), now.plusSeconds(10));

        assertEquals(2, batcher.peek("fn:").orElseThrow().events().size());
        assertEquals(now.minusSeconds(50), batcher.peek("fn:").orElseThrow().openedAt());
        var outcome = batcher.add("fn", BatchEvents.of(3, Duration.ofMinutes(1)), event);
        Batcher.Full full = assertInstanceOf(Batcher.Full.class, outcome);
        assertEquals(List.of("a", "b", "u1"), full.batch().events().stream().map(e -> e.path("data").path("user_id").asText()).toList());
        assertTrue(batcher.peek("fn:").isEmpty());
    }
}
