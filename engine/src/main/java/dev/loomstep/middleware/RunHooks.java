package dev.loomstep.middleware;

/**
 * The per-request hooks a {@link Middleware} returns from {@code onRun}. Called in this order:
 * {@code transformInput}, {@code beforeMemoization}, {@code afterMemoization}, {@code beforeExecution},
 * {@code afterExecution}, {@code transformOutput}, {@code beforeResponse}. Execution hooks run on the
 * thread that runs the user code they surround.
 */
public interface RunHooks {
    RunHooks NONE = new RunHooks() {};

    /** May replace the event(s) and change memoized step data before the function sees them. */
    default void transformInput(InputContext input) {}

    /** Before memoized steps are replayed (only when there are some). */
    default void beforeMemoization() {}

    /** Once memoized state is used up and new code is about to run. */
    default void afterMemoization() {}

    /** Before new code runs: a step body ({@code step} non-null) or function code after the last memoized step. */
    default void beforeExecution(StepInfo step) {}

    /** After that code ran. */
    default void afterExecution(StepInfo step) {}

    /** May change the result or error of the function, or of the step executed in this request. */
    default void transformOutput(OutputContext output) {}

    /** Just before the answer is sent. */
    default void beforeResponse() {}
}
