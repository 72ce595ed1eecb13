package dev.loomstep.devserver.flow;

import static dev.loomstep.devserver.flow.Events.forUser;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loomstep.flow.Debounce;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class DebouncerTest {
    final ManualClock clock = new ManualClock("2024-03-01T12:00:00Z");
    final Debouncer debouncer = new Debouncer(clock);
    final Debounce tenSeconds = Debounce.of(Duration.ofSeconds(10));

    static ObjectNode event(String user, int seq) {
        ObjectNode e = forUser(user);
        ((ObjectNode) e.get("data")).put("seq", seq);
        return e;
    }

    @Test
    void firesPeriodAfterTheLastEventWithTheLastEvent() {
        Debouncer.Pending first = debouncer.offer("fn", tenSeconds, event("u", 1));
        assertEquals(Instant.parse("2024-03-01T12:00:10Z"), first.fireAt());
        clock.advance(Duration.ofSeconds(4));
        Debouncer.Pending second = debouncer.offer("fn", tenSeconds, event("u", 2));
        assertEquals(Instant.parse("2024-03-01T12:00:14Z"), second.fireAt());
        assertEquals(Instant.parse("2024-03-01T12:00:00Z"), second.firstAt());
        assertEquals(Optional.of(Instant.parse("2024-03-01T12:00:14Z")), debouncer.nextDue());

        clock.set(Instant.parse("2024-03-01T12:00:13.999Z"));
        assertEquals(List.of(), debouncer.takeDue());
        clock.set(Instant.parse("2024-03-01T12:00:14Z"));
        List<Debouncer.Pending> due = debouncer.takeDue();
        assertEquals(1, due.size());
        assertEquals(2, due.get(0).event().path("data").path("seq").asInt(), "the last event wins");
        assertEquals("fn", due.get(0).functionId());
        assertEquals(List.of(), debouncer.takeDue(), "handed over once");
        assertEquals(Optional.empty(), debouncer.nextDue());
    }

    @Test
    void aHeldEventWhosePeriodIsOverIsHandedOverToTheNextEventOfItsKeyNotReplacedByIt() {
        Debounce perUser = new Debounce(Duration.ofSeconds(10), "event.data.user_id", null);
        debouncer.offer("fn", perUser, event("u", 1));
        debouncer.offer("fn", perUser, event("other", 1));
        clock.advance(Duration.ofSeconds(9));
        assertEquals(Optional.empty(), debouncer.takeDueFor("fn", perUser, event("u", 2)), "not due yet: the event replaces it");

        clock.advance(Duration.ofSeconds(1)); // the period is over; the timer has not taken it (late, under load)
        Optional<Debouncer.Pending> due = debouncer.takeDueFor("fn", perUser, event("u", 2));
        assertEquals(1, due.orElseThrow().event().path("data").path("seq").asInt());
        assertEquals(Optional.empty(), debouncer.takeDueFor("fn", perUser, event("u", 3)), "handed over once");
        Debouncer.Pending next = debouncer.offer("fn", perUser, event("u", 2));
        assertEquals(clock.instant(), next.firstAt(), "the event opens the key's next debounce");
        assertEquals(List.of("other"), debouncer.takeDue().stream().map(p -> p.event().path("data").path("user_id").asText()).toList(),
                "other keys are untouched");
    }

    @Test
    void timeoutCapsTheTotalDelayOfASteadyStream() {
        Debounce capped = new Debounce(Duration.ofSeconds(10), null, Duration.ofSeconds(15));
        debouncer.offer("fn", capped, event("u", 1));
        clock.advance(Duration.ofSeconds(5));
        assertEquals(Instant.parse("2024-03-01T12:00:15Z"), debouncer.offer("fn", capped, event("u", 2)).fireAt());
        clock.advance(Duration.ofSeconds(5));
        assertEquals(Instant.parse("2024-03-01T12:00:15Z"), debouncer.offer("fn", capped, event("u", 3)).fireAt(),
                "now + period would be 12:00:20, beyond first + timeout");
        clock.advance(Duration.ofSeconds(5));
        List<Debouncer.Pending> due = debouncer.takeDue();
        assertEquals(1, due.size());
        assertEquals(3, due.get(0).event().path("data").path("seq").asInt());

        Debouncer.Pending fresh = debouncer.offer("fn", capped, event("u", 4));
        assertEquals(Instant.parse("2024-03-01T12:00:25Z"), fresh.fireAt(), "a new debounce starts after the handover");
    }

    @Test
    void aTimeoutShorterThanThePeriodBoundsTheFirstDelay() {
        Debounce shortTimeout = new Debounce(Duration.ofMinutes(1), null, Duration.ofSeconds(5));
        assertEquals(Instant.parse("2024-03-01T12:00:05Z"), debouncer.offer("fn", shortTimeout, event("u", 1)).fireAt());
    }

    @Test
    void ignoresAnEventOlderThanTheHeldOne() {
        ObjectNode newer = event("u", 2).put("ts", 2_000);
        ObjectNode older = event("u", 1).put("ts", 1_000);
        debouncer.offer("fn", tenSeconds, newer);
        clock.advance(Duration.ofSeconds(3));
        Debouncer.Pending after = debouncer.offer("fn", tenSeconds, older);
        assertEquals(2, after.event().path("data").path("seq").asInt());
        assertEquals(Instant.parse("2024-03-01T12:00:10Z"), after.fireAt(), "an ignored event does not push the start back");
    }

    @Test
    void debouncesEachKeySeparately() {
        Debounce perUser = new Debounce(Duration.ofSeconds(10), "event.data.user_id", null);
        debouncer.offer("fn", perUser, event("a", 1));
        clock.advance(Duration.ofSeconds(5));
        debouncer.offer("fn", perUser, event("b", 1));
        debouncer.offer("other-fn", perUser, event("a", 1));
        assertEquals(3, debouncer.pending().size());
        clock.advance(Duration.ofSeconds(5));
        List<Debouncer.Pending> due = debouncer.takeDue();
        assertEquals(1, due.size());
        assertEquals("fn:a", due.get(0).key());
        clock.advance(Duration.ofSeconds(5));
        assertEquals(2, debouncer.takeDue().size());
    }

    @Test
    void removingAFunctionDropsItsDebounces() {
        debouncer.offer("fn", tenSeconds, event("u", 1));
        debouncer.offer("other-fn", tenSeconds, event("u", 1));
        assertEquals(1, debouncer.removeFunction("fn").size());
        assertEquals(List.of("other-fn"), debouncer.pending().stream().map(Debouncer.Pending::functionId).toList());
    }

    @Test
    void rejectsInvalidConfigsWithOneLine() {
        assertEquals("invalid debounce: period must be between 1s and 1w, got none",
                assertThrows(IllegalArgumentException.class, () -> Debouncer.validate(new Debounce(null, null, null))).getMessage());
        assertEquals("invalid debounce: timeout must be positive, got -5s",
                assertThrows(IllegalArgumentException.class,
                        () -> debouncer.offer("fn", new Debounce(Duration.ofSeconds(10), null, Duration.ofSeconds(-5)), event("u", 1))).getMessage());
        assertTrue(debouncer.pending().isEmpty(), "a rejected offer holds nothing");
    }
}
