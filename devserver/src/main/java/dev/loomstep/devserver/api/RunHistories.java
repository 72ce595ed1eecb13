package dev.loomstep.devserver.api;

import dev.loomstep.devserver.store.RunRecord;
import dev.loomstep.devserver.store.StepRecord;
import dev.loomstep.protocol.Json;
import dev.loomstep.protocol.RunHistory;
import java.util.ArrayList;
import java.util.List;

/**
 * A run as a {@link RunHistory}: its events and every step its code reached, memoized ones in the
 * executor's order with the state sent back to the SDK, then the ones still planned, running or waiting.
 * The devserver does not record which steps ran side by side, so steps carry no fan-out group: the
 * replay check finds fan-outs from the code it replays.
 */
final class RunHistories {
    private RunHistories() {}

    static RunHistory of(RunRecord run, List<StepRecord> steps) {
        var out = new ArrayList<RunHistory.Step>(steps.size());
        for (StepRecord s : steps) {
            out.add(new RunHistory.Step(s.id(), s.name(), s.op(), s.status(), s.seq(),
                    s.memoized() ? (s.memo() == null ? Json.nodes().nullNode() : s.memo()) : null, null));
        }
        return new RunHistory(RunHistory.FORMAT, RunHistory.VERSION, run.functionId(), run.id(), run.status().name(), run.events(),
                out, run.output(), run.error());
    }
}
