package dev.loomstep.devserver.seam;

import dev.loomstep.Event;
import dev.loomstep.devserver.store.FunctionRecord;
import java.time.Instant;
import java.util.List;

/**
 * SEAM — flow control (rate limit, throttle, debounce, idempotency, singleton, priority…). The
 * implementation ({@code dev.loomstep.devserver.flow}) is being built on another branch. The devserver
 * asks it before every new run; {@link #none()} starts every run at once.
 */
public interface FlowControl {

    /** Whether and when a new run of {@code function} for {@code events} starts. */
    Admission admit(FunctionRecord function, List<Event> events, Instant now);

    /** A decision about a new run. */
    sealed interface Admission {
        /** Start the run at {@code at} (now, or later when delayed). */
        record Start(Instant at) implements Admission {}

        /** Do not start a run; {@code reason} is logged. */
        record Skip(String reason) implements Admission {}
    }

    /** STOPGAP: no flow control at all. */
    static FlowControl none() {
        return (function, events, now) -> new Admission.Start(now);
    }
}
