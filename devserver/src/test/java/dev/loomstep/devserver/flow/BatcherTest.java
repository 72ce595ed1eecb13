package dev.loomstep.devserver.flow;

import static dev.loomstep.devserver.flow.Events.forUser;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.flow.BatchEvents;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class BatcherTest {
    final ManualClock clock = new ManualClock("2024-03-01T12:00:00Z");
    final Batcher batcher = new Batcher(clock);
    final BatchEvents threeOrFiveSeconds = BatchEvents.of(3, Duration.ofSeconds(5));

    static List<String> users(Batcher.Batch batch) {
        return batch.events().stream().map(e -> e.path("data").path("user_id").asText()).toList();
    }

    @Test
    void handsOverAFullBatchAtOnce() {
        Batcher.Added first = assertInstanceOf(Batcher.Added.class, batcher.add("fn", threeOrFiveSeconds, forUser("a")));
        assertEquals(1, first.size());
        assertEquals(Instant.parse("2024-03-01T12:00:05Z"), first.dueAt());
        clock.advance(Duration.ofSeconds(1));
        Batcher.Added second = assertInstanceOf(Batcher.Added.class, batcher.add("fn", threeOrFiveSeconds, forUser("b")));
        assertEquals(2, second.size());
        assertEquals(first.dueAt(), second.dueAt(), "the timeout runs from the first event");
        Batcher.Full full = assertInstanceOf(Batcher.Full.class, batcher.add("fn", threeOrFiveSeconds, forUser("c")));
        assertEquals(List.of("a", "b", "c"), users(full.batch()));
        assertEquals(Instant.parse("2024-03-01T12:00:00Z"), full.batch().openedAt());
        assertEquals(Optional.empty(), batcher.nextDue());

        Batcher.Added next = assertInstanceOf(Batcher.Added.class, batcher.add("fn", threeOrFiveSeconds, forUser("d")));
        assertEquals(1, next.size(), "a new batch opens after a full one");
    }

    @Test
    void handsOverAPartialBatchWhenTheTimeoutPasses() {
        batcher.add("fn", threeOrFiveSeconds, forUser("a"));
        clock.advance(Duration.ofSeconds(2));
        batcher.add("fn", threeOrFiveSeconds, forUser("b"));
        assertEquals(Optional.of(Instant.parse("2024-03-01T12:00:05Z")), batcher.nextDue());
        clock.set(Instant.parse("2024-03-01T12:00:04.999Z"));
        assertEquals(List.of(), batcher.takeDue());
        clock.set(Instant.parse("2024-03-01T12:00:05Z"));
        List<Batcher.Batch> due = batcher.takeDue();
        assertEquals(1, due.size());
        assertEquals(List.of("a", "b"), users(due.get(0)));
        assertEquals(List.of(), batcher.takeDue());
    }

    @Test
    void batchesEachKeySeparately() {
        BatchEvents perUser = new BatchEvents(2, Duration.ofSeconds(5), "event.data.user_id", null);
        assertInstanceOf(Batcher.Added.class, batcher.add("fn", perUser, forUser("a")));
        assertInstanceOf(Batcher.Added.class, batcher.add("fn", perUser, forUser("b")));
        assertInstanceOf(Batcher.Added.class, batcher.add("other-fn", perUser, forUser("a")));
        assertEquals(1, batcher.openSize("fn:a"));
        Batcher.Full full = assertInstanceOf(Batcher.Full.class, batcher.add("fn", perUser, forUser("a")));
        assertEquals("fn:a", full.batch().key());
        assertEquals(List.of("a", "a"), users(full.batch()));
        assertEquals(0, batcher.openSize("fn:a"));
    }

    @Test
    void runsEventsFailingTheIfConditionAlone() {
        BatchEvents onlyBulk = new BatchEvents(3, Duration.ofSeconds(5), null, "event.data.user_id != 'vip'");
        assertInstanceOf(Batcher.Unbatched.class, batcher.add("fn", onlyBulk, forUser("vip")));
        assertInstanceOf(Batcher.Added.class, batcher.add("fn", onlyBulk, forUser("a")));
        JsonNode noData = Events.json("{\"name\": \"app/test\"}");
        assertInstanceOf(Batcher.Unbatched.class, batcher.add("fn", onlyBulk, noData), "an if that errors is not true");
        assertEquals(1, batcher.openSize("fn:"));
    }

    @Test
    void removingAFunctionClosesItsBatches() {
        batcher.add("fn", threeOrFiveSeconds, forUser("a"));
        batcher.add("other-fn", threeOrFiveSeconds, forUser("a"));
        List<Batcher.Batch> removed = batcher.removeFunction("fn");
        assertEquals(1, removed.size());
        assertEquals(List.of("a"), users(removed.get(0)));
        assertEquals(1, batcher.openSize("other-fn:"));
    }

    @Test
    void rejectsInvalidConfigsWithOneLine() {
        assertEquals("invalid batchEvents: maxSize must be at least 2, got 1",
                assertThrows(IllegalArgumentException.class, () -> Batcher.validate(BatchEvents.of(1, Duration.ofSeconds(5)))).getMessage());
        assertEquals("invalid batchEvents: timeout must be at least 1s, got 100ms",
                assertThrows(IllegalArgumentException.class, () -> batcher.add("fn", BatchEvents.of(5, Duration.ofMillis(100)), forUser("a"))).getMessage());
        assertThrows(IllegalArgumentException.class, () -> Batcher.validate(new BatchEvents(5, Duration.ofSeconds(5), null, "event.data ==")));
        assertEquals(Optional.empty(), batcher.nextDue());
    }
}
