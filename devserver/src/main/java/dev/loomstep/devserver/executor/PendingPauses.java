package dev.loomstep.devserver.executor;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * The pauses (sleeps, waits, invokes, gateway calls) an SDK reported in one answer together with steps it
 * planned, by run. As the Inngest server does with a parallel answer in wait mode (its pending steps), the
 * run's next discovery call waits until each of them has ended, not only the planned step calls, so a
 * branch does not go on while a sibling still sleeps or waits. In memory: after a restart a discovery
 * waits for the step calls only, as before.
 */
final class PendingPauses {
    private final Map<String, Set<String>> byRun = new ConcurrentHashMap<>();

    /** Notes pauses of one answer that planned steps too. */
    void add(String runId, List<String> stepIds) {
        if (!stepIds.isEmpty()) {
            byRun.computeIfAbsent(runId, k -> ConcurrentHashMap.newKeySet()).addAll(stepIds);
        }
    }

    /** Whether a pause of the run has not ended yet ({@code ended} says which have); forgets those that have. */
    boolean holdsDiscovery(String runId, Predicate<String> ended) {
        Set<String> pending = byRun.get(runId);
        if (pending == null) {
            return false;
        }
        pending.removeIf(ended);
        if (pending.isEmpty()) {
            byRun.remove(runId, pending);
            return false;
        }
        return true;
    }

    /** The run ended. */
    void forget(String runId) {
        byRun.remove(runId);
    }
}
