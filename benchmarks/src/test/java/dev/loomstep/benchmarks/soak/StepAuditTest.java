package dev.loomstep.benchmarks.soak;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class StepAuditTest {
    static final long COMMIT = Instant.parse("2026-12-01T03:00:10Z").toEpochMilli();

    @Test
    void anExecutionStartedAfterTheCommitIsAReExecutionAndOneStartedBeforeIsAnAllowedRepeat() throws Exception {
        var details = new ArrayList<String>();
        var ledger = List.of(
                entry("r1", "s1", COMMIT - 500, COMMIT - 400, "ok"),   // killed before its output was committed
                entry("r1", "s1", COMMIT - 300, COMMIT + 50, "ok"),    // the call from before a crash, still running
                entry("r1", "s2", COMMIT - 100, COMMIT - 50, "ok"),
                entry("r1", "s2", COMMIT + 1, COMMIT + 20, "ok"));     // ran again after its commit

        StepAudit audit = StepAudit.of(List.of(run("r1", "s1", "s2")), ledger, details);

        assertEquals(new StepAudit(1, 1, 0, 2), audit);
        assertEquals(1, details.size(), details.toString());
    }

    @Test
    void aCompletedStepWithNoLedgerLineIsAGap() throws Exception {
        var details = new ArrayList<String>();

        StepAudit audit = StepAudit.of(List.of(run("r2", "s1")), List.of(entry("r2", "s1", COMMIT - 10, COMMIT - 5, "error")), details);

        assertEquals(new StepAudit(0, 0, 1, 1), audit);
    }

    private static Ledger.Entry entry(String run, String step, long started, long ended, String outcome) {
        return new Ledger.Entry(started, ended, run, "soak-seq", step, 0, outcome, 1);
    }

    /** A run's detail as the REST API shows it, each step completed at {@link #COMMIT}, plus a sleep. */
    private static JsonNode run(String runId, String... steps) throws Exception {
        var run = Rest.JSON.createObjectNode().put("run_id", runId);
        var array = run.putArray("steps");
        for (String s : steps) {
            array.addObject().put("name", s).put("op", "StepRun").put("status", "completed")
                    .put("ended_at", Instant.ofEpochMilli(COMMIT).toString());
        }
        array.addObject().put("name", "nap").put("op", "Sleep").put("status", "completed")
                .put("ended_at", Instant.ofEpochMilli(COMMIT).toString());
        return run;
    }
}
