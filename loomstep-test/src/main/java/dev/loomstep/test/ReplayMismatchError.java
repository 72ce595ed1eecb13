package dev.loomstep.test;

import java.util.List;

/**
 * A recorded run no longer fits the function's current code: deploying the change would send the
 * run's next call down another path than the one its recorded steps came from. Thrown by
 * {@link Replayer}; an {@link AssertionError}, so a test that replays a history fails with its message.
 */
public final class ReplayMismatchError extends AssertionError {
    /** What no longer fits. */
    public enum Kind {
        /** A recorded step is never reached: the code now ends, fails or waits elsewhere before it. */
        STEP_NOT_REACHED,
        /** Two recorded steps, one after the other in the code, are now reached in the other order. */
        ORDER_CHANGED,
        /** A recorded output no longer deserializes into the type the step now asks for. */
        OUTPUT_TYPE_CHANGED,
        /** A fan-out's branches changed: one added beside recorded ones, removed, or run one after another. */
        FAN_OUT_CHANGED,
        /** The code throws on the recorded state although the run did not fail. */
        CODE_FAILS
    }

    private final Kind kind;
    private final String runId;
    private final List<String> steps;

    ReplayMismatchError(Kind kind, String runId, List<String> steps, String message) {
        super(message);
        this.kind = kind;
        this.runId = runId;
        this.steps = List.copyOf(steps);
    }

    public Kind kind() {
        return kind;
    }

    /** The run of the history that no longer fits. */
    public String runId() {
        return runId;
    }

    /** The names (user step ids) of the steps the message is about. */
    public List<String> steps() {
        return steps;
    }
}
