package dev.loomstep.internal.run;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.protocol.StepIds;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Notices, once a discovery call has stopped, that its recorded state no longer fits the code: a
 * memoized step the code did not reach although it went on past it (a new step) or ended. That is a
 * function changed while the run was in flight — a step renamed, removed or moved behind a new one —
 * and the run now takes the new path. Said once per run (per JVM) in one WARN with the step ids, on
 * logger {@code dev.loomstep.run}.
 *
 * <p>Not judged: targeted calls (they stop at their step on purpose), and calls in which a race or a
 * fail-fast fork dropped branches (those never consume their state).
 */
final class Drift {
    private static final int REMEMBERED_RUNS = 4096;
    private static final int LISTED = 10;
    /** Runs already warned about, so a run that drifted says it once, not on every later call. */
    private static final Map<String, Boolean> WARNED = Collections.synchronizedMap(new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > REMEMBERED_RUNS;
        }
    });

    private Drift() {}

    /**
     * Called when a discovery call stopped with {@code remaining} memoized steps unused.
     *
     * @param reachedNew the first new step the code reached instead, or null when it ended
     * @param ended      how the function ended when it did (completed / failed)
     */
    static void unusedState(RunInput<?> input, Map<String, JsonNode> steps, Map<String, Integer> repeats, List<String> stack,
                            String reachedNew, String ended) {
        if (!RunLog.LOG.isWarnEnabled()) {
            return;
        }
        String key = input.functionId() + "/" + input.runId();
        if (input.runId() != null && WARNED.putIfAbsent(key, Boolean.TRUE) != null) {
            return;
        }
        Set<String> reached = new HashSet<>();
        repeats.forEach((id, n) -> {
            for (int i = 0; i < n; i++) {
                reached.add(StepIds.hash(id, i));
            }
        });
        List<String> unused = new ArrayList<>();
        for (String id : stack) {
            if (steps.containsKey(id) && !reached.contains(id) && !unused.contains(id)) {
                unused.add(id);
            }
        }
        for (String id : steps.keySet()) {
            if (!reached.contains(id) && !unused.contains(id)) {
                unused.add(id);
            }
        }
        String listed = unused.size() <= LISTED ? String.join(", ", unused)
                : String.join(", ", unused.subList(0, LISTED)) + " and " + (unused.size() - LISTED) + " more";
        String now = reachedNew != null ? "reached new step \"" + reachedNew + "\" first" : ended + " without them";
        RunLog.LOG.warn("run {} of {} does not fit its function's current code: {} recorded step{} not reached ({}); the code {}. A step"
                        + " was inserted, renamed, removed or reordered while the run was in flight, and the run goes on along the new"
                        + " code's path; check such changes with the replay check (loomstep-test Replayer)",
                input.runId(), input.functionId(), unused.size(), unused.size() == 1 ? " was" : "s were", listed, now);
    }

    /** For tests: forget which runs were warned about. */
    static void forget() {
        WARNED.clear();
    }
}
