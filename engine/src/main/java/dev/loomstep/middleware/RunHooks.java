package dev.loomstep.middleware;

/**
 * The per-request hooks a {@link Middleware} returns from {@code onRun}. Called in this order:
 * {@code transformInput}, {@code beforeMemoization}, {@code afterMemoization}, {@code beforeExecution},
 * {@code afterExecution}, {@code transformOutput}, {@code beforeResponse}.
 *
 * <p>The execution hooks come in pairs and say which code runs new in this request:
 * <ul>
 *   <li>{@code step == null}: the function's own code. {@code beforeExecution(null)} comes right after
 *       {@code afterMemoization}, once memoized state is used up (at once when there is none, or at the
 *       first step not found in it), on the thread about to run that code; {@code afterExecution(null)}
 *       comes when that code stops for this request — the function returned or threw, or every branch
 *       is parked on a new step — before the step is executed, {@code transformOutput} and
 *       {@code beforeResponse}. Not called when the function returns without using all memoized state.</li>
 *   <li>{@code step != null}: the body of the one step executed in this request, on its own thread,
 *       after the function-level pair (inside it for a request that targets a planned step).</li>
 * </ul>
 * A branch of {@code step.parallel} runs on its own thread but only while it holds the run's baton, and
 * the SLF4J MDC travels with the baton, so MDC entries put by {@code beforeExecution} are seen by every
 * branch that runs after it.
 */
public interface RunHooks {
    RunHooks NONE = new RunHooks() {};

    /** May replace the event(s) and change memoized step data before the function sees them. */
    default void transformInput(InputContext input) {}

    /** Before memoized steps are replayed (only when there are some). */
    default void beforeMemoization() {}

    /** Once memoized state is used up and new code is about to run. */
    default void afterMemoization() {}

    /**
     * Before new code runs: a step body ({@code step} non-null) or the function's own code after the
     * last memoized step ({@code step == null}).
     */
    default void beforeExecution(StepInfo step) {}

    /** After that code ran ({@code step} as given to {@code beforeExecution}). */
    default void afterExecution(StepInfo step) {}

    /** May change the result or error of the function, or of the step executed in this request. */
    default void transformOutput(OutputContext output) {}

    /** Just before the answer is sent. */
    default void beforeResponse() {}
}
