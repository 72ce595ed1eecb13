package dev.loomstep.devserver.flow;

import dev.loomstep.devserver.store.FlowWindow;
import dev.loomstep.devserver.store.FunctionRecord;
import dev.loomstep.devserver.store.HeldEvents;
import dev.loomstep.devserver.store.RunRecord;
import dev.loomstep.devserver.store.RunStatus;
import dev.loomstep.devserver.store.Store;
import dev.loomstep.protocol.SyncRequest.FunctionConfig;
import java.time.InstantSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Start-up: hands {@link ConfiguredFlowControl} the state an earlier process left in the store, and
 * what it derives from the runs still running (singleton holders, timeout timers).
 */
final class FlowRestore {
    private static final Logger LOG = LoggerFactory.getLogger(FlowRestore.class);

    private final ConfiguredFlowControl flow;
    private final Store store;
    private final InstantSource clock;

    FlowRestore(ConfiguredFlowControl flow, Store store, InstantSource clock) {
        this.flow = flow;
        this.store = store;
        this.clock = clock;
    }

    void run() {
        long now = clock.millis();
        int dropped = store.dropExpiredWindows(now);
        int windows = 0;
        for (FlowWindow w : store.windows(now)) {
            if (flow.restoreWindow(w)) {
                windows++;
            } else {
                LOG.warn("flow control: a saved window of unknown kind {} (key {}) is ignored", w.kind(), w.key());
            }
        }
        int held = 0;
        int due = 0;
        for (HeldEvents h : store.heldEvents()) {
            if (flow.restoreHeld(h)) {
                held++;
                due += h.dueAt() <= now ? 1 : 0;
            } else {
                LOG.warn("flow control: saved held events of unknown kind {} (key {}) are ignored", h.kind(), h.key());
            }
        }
        int runs = 0;
        for (FunctionRecord fn : store.functions()) {
            FunctionConfig c = fn.config();
            if (c.singleton() == null && c.timeouts() == null) {
                continue; // nothing to derive: do not read the runs of every function
            }
            for (RunRecord run : store.runs(RunStatus.Running, fn.id(), Integer.MAX_VALUE)) {
                flow.restoreRun(fn, run);
                runs++;
            }
        }
        if (held + windows + runs + dropped > 0) {
            LOG.info("flow control restored: {} held debounce(s) and batch(es) ({} due now), {} window(s) ({} expired "
                    + "ones dropped), {} running run(s) with a singleton or timeouts", held, due, windows, dropped, runs);
        }
    }
}
