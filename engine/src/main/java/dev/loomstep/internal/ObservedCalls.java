package dev.loomstep.internal;

import dev.loomstep.middleware.StepInfo;
import java.time.Duration;
import java.util.List;

/** The calls of several {@link CallObserver}s as one, in registration order. */
record ObservedCalls(List<CallObserver.Call> all) implements CallObserver.Call {
    @Override
    public void stepEnded(StepInfo step, int attempt, CallObserver.Verdict verdict) {
        for (CallObserver.Call c : all) c.stepEnded(step, attempt, verdict);
    }

    @Override
    public void functionEnded(CallObserver.Verdict verdict) {
        for (CallObserver.Call c : all) c.functionEnded(verdict);
    }

    @Override
    public void checkpointed(Duration latency, boolean acknowledged) {
        for (CallObserver.Call c : all) c.checkpointed(latency, acknowledged);
    }

    @Override
    public void callEnded() {
        for (CallObserver.Call c : all) c.callEnded();
    }
}
