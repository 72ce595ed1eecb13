package dev.loomstep.benchmarks.soak;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;

/**
 * The soak's step-level verdict: for each step the devserver committed (its {@code ended_at}, written once
 * when the output is first memoized), the ledger's executions of it. One that <em>started</em> after the
 * commit is a re-execution after commit; extra executions that started before it are at-least-once
 * repeats (allowed); a completed step with no {@code ok} execution is a ledger gap.
 */
record StepAudit(int reExecutedAfterCommit, int atLeastOnceRepeats, int ledgerGaps, int checked) {

    /** Audits every committed {@code StepRun} step of {@code runs} (run details) against the ledger. */
    static StepAudit of(List<JsonNode> runs, List<Ledger.Entry> ledger, List<String> details) {
        var byStep = new HashMap<String, List<Ledger.Entry>>();
        for (Ledger.Entry e : ledger) {
            byStep.computeIfAbsent(e.runId() + "/" + e.step(), k -> new ArrayList<>()).add(e);
        }
        int after = 0;
        int repeats = 0;
        int gaps = 0;
        int checked = 0;
        for (JsonNode run : runs) {
            String runId = run.path("run_id").asText();
            for (JsonNode s : run.path("steps")) {
                String status = s.path("status").asText();
                if (!s.path("op").asText().equals("StepRun") || !(status.equals("completed") || status.equals("failed"))
                        || !s.path("ended_at").isTextual()) {
                    continue;
                }
                checked++;
                long committedAt = Instant.parse(s.path("ended_at").asText()).toEpochMilli();
                List<Ledger.Entry> ran = byStep.getOrDefault(runId + "/" + s.path("name").asText(), List.of());
                var later = ran.stream().filter(e -> e.startedMs() > committedAt).toList();
                if (!later.isEmpty()) {
                    after++;
                    details.add("run " + runId + " step " + s.path("name").asText() + " committed at "
                            + s.path("ended_at").asText() + " ran again after: " + later);
                }
                long okBefore = ran.stream().filter(e -> e.startedMs() <= committedAt && e.outcome().equals("ok")).count();
                repeats += (int) Math.max(0, okBefore - 1);
                if (status.equals("completed") && ran.stream().noneMatch(e -> e.outcome().equals("ok"))) {
                    gaps++;
                    details.add("run " + runId + " step " + s.path("name").asText() + " completed with no ledger line");
                }
            }
        }
        return new StepAudit(after, repeats, gaps, checked);
    }
}
