package dev.loomstep.benchmarks.soak;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LedgerTest {
    @TempDir
    Path dir;

    @Test
    void aLineTornByAKillIsSkippedAndDoesNotSwallowTheNextProcesssFirstLine() throws Exception {
        Path file = dir.resolve("ledger.tsv");
        try (var ledger = new Ledger(file)) {
            ledger.record(1_000, "run-a", "soak-seq", "s1", 0, "ok");
        }
        // The app died in the middle of its next line.
        Files.writeString(file, "1001\t1002\trun-a\tsoak-se", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        try (var ledger = new Ledger(file)) {
            ledger.record(2_000, "run-b", "soak-retry", "flaky", 1, "error");
        }

        List<Ledger.Entry> entries = Ledger.read(file);

        assertEquals(List.of("run-a/s1/0/ok", "run-b/flaky/1/error"),
                entries.stream().map(e -> e.runId() + "/" + e.step() + "/" + e.attempt() + "/" + e.outcome()).toList());
        assertEquals(2_000, entries.get(1).startedMs());
    }

    @Test
    void anEmptyOrMissingLedgerHasNoEntries() throws Exception {
        assertEquals(List.of(), Ledger.read(dir.resolve("none.tsv")));
        Files.writeString(dir.resolve("torn.tsv"), "12\t13\trun", StandardCharsets.UTF_8);
        assertEquals(List.of(), Ledger.read(dir.resolve("torn.tsv")));
    }
}
