package dev.loomstep.devserver.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The store's runs by status: kept as runs start and end, counted from the file when it opens. */
class RunCountsTest {

    private static RunRecord running(String id) {
        return new RunRecord(id, "fn", null, List.of(), RunStatus.Running, null, null, 1L, null, null, false, -1, null);
    }

    @Test
    void countsFollowInsertsAndEndsAndSurviveAReopen(@TempDir Path dir) {
        Path file = dir.resolve("dev.db");
        try (Store store = Store.open(file)) {
            store.insertRun(running("a"));
            store.insertRun(running("b"));
            store.insertRun(running("c"));
            store.finishRun("a", RunStatus.Completed, null, null, 2L);
            store.finishRun("b", RunStatus.Cancelled, null, null, 2L);
            assertFalse(store.finishRun("b", RunStatus.Failed, null, null, 3L), "an ended run does not end again");
            assertEquals(Map.of(RunStatus.Running, 1L, RunStatus.Completed, 1L, RunStatus.Failed, 0L, RunStatus.Cancelled, 1L),
                    store.runCounts());
        }
        try (Store reopened = Store.open(file)) {
            assertEquals(Map.of(RunStatus.Running, 1L, RunStatus.Completed, 1L, RunStatus.Failed, 0L, RunStatus.Cancelled, 1L),
                    reopened.runCounts());
        }
    }

    @Test
    void aUnitThatRollsBackCountsNothing() {
        try (Store store = Store.inMemory()) {
            assertThrows(IllegalStateException.class, () -> store.txRun(() -> {
                store.insertRun(running("x"));
                throw new IllegalStateException("rolled back");
            }));
            assertEquals(0L, store.runCounts().get(RunStatus.Running));
            store.clearRuns();
            store.insertRun(running("y"));
            store.clearRuns();
            assertEquals(0L, store.runCounts().get(RunStatus.Running), "clearing the runs clears their counts");
        }
    }
}
