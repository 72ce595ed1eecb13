package dev.loomstep.protocol;

/** The opcodes that travel in a 206 answer, spelled as on the wire. */
public enum OpCode {
    /** A run step executed in this request; carries {@code data}. JS 4.x and Go also send {@code Step}. */
    StepRun,
    /** A legacy alias of {@link #StepRun} that executors still accept. */
    Step,
    /** A run step that threw; the executor may retry it. */
    StepError,
    /** A run step whose error is final (non-retriable, or retries exhausted). */
    StepFailed,
    /** A run step found but not executed in this request. */
    StepPlanned,
    Sleep,
    WaitForEvent,
    InvokeFunction,
    /** A targeted step that the function never reached. */
    StepNotFound,
    /** The run finished; {@code data} is its result (JS 4.x checkpointing). */
    RunComplete,
    WaitForSignal,
    AIGateway,
    Gateway,
    /**
     * A run to start once this run has finished ({@code step.defer}); it rides along with whatever the SDK
     * sends next (a step's result, a checkpoint, the run's end), as the JS SDK 4.4+ sends it.
     */
    DeferAdd,
    /** Drops a {@link #DeferAdd} of this run before the run finishes; rides along like it. */
    DeferAbort;

    /** Parses a wire opcode, or returns null when the name is not one Loomstep knows. */
    public static OpCode fromWire(String name) {
        if (name == null) {
            return null;
        }
        for (OpCode c : values()) {
            if (c.name().equals(name)) {
                return c;
            }
        }
        return null;
    }
}
