package dev.loomstep.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RunLinesTest {
    final AtomicLong clock = new AtomicLong();
    final List<Long> summaries = new CopyOnWriteArrayList<>();

    @Test
    void theFirstLinesOfEachSecondPassAndTheRestAreSummedUpOnce() {
        var lines = new RunLines(3, summaries::add, clock::get);
        int passed = 0;
        for (int i = 0; i < 100; i++) {
            if (lines.allow()) {
                passed++;
            }
        }
        assertEquals(3, passed, "three lines a second one by one");
        lines.flush();
        assertEquals(List.of(97L), summaries, "the other 97 in one summary");
        lines.flush();
        assertEquals(1, summaries.size(), "nothing held back, no summary");

        clock.addAndGet(1_000_000_000L);
        assertTrue(lines.allow(), "a new second logs one by one again");
        assertTrue(lines.allow());
        assertTrue(lines.allow());
        assertFalse(lines.allow());
    }

    @Test
    void aQuietLogIsUnchanged() {
        var lines = new RunLines(10, summaries::add, clock::get);
        for (int i = 0; i < 50; i++) {
            clock.addAndGet(200_000_000L); // five a second
            assertTrue(lines.allow());
        }
        lines.flush();
        assertTrue(summaries.isEmpty());
    }

    @Test
    void theSummaryIsLoggedOnItsOwnOnceTheSecondIsOver() throws Exception {
        var lines = new RunLines(1, summaries::add);
        lines.allow();
        lines.allow();
        lines.allow();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (summaries.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(List.of(2L), summaries, "with no later line, the timer logs it");
    }
}
