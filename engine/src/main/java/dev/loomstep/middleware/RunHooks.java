package dev.loomstep.middleware;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The per-request hooks a {@link Middleware} returns from {@code onRun}. Called in this order:
 * {@code transformInput}, {@code beforeMemoization}, {@code afterMemoization}, {@code beforeExecution},
 * {@code afterExecution}, {@code transformOutput}, {@code beforeResponse}; {@code transformStepResult} and
 * {@code transformInvokePayload} whenever the function reads a step's result or reports an invoke.
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

    /**
     * May change a step's result as the function is about to read it: a result memoized by the executor,
     * or one executed in this request that the function goes on with (checkpointing). This is where a
     * transformation of {@link #transformOutput} is undone, so that the function sees the same value
     * whether the step ran just now or is replayed. Not called for failed steps, sleeps, waitForEvent and
     * waitForSignal. Runs on the thread of the branch reading the result.
     *
     * @param stepId the user's step id
     * @param result the step's JSON result as stored (JSON null when it has none)
     * @return the result the function reads
     */
    default JsonNode transformStepResult(String stepId, JsonNode result) {
        return result;
    }

    /**
     * May change the payload of a {@code step.invoke} before it is reported to the executor:
     * {@code {"data": …}} and, when given, {@code "user"}.
     */
    default void transformInvokePayload(StepInfo step, ObjectNode payload) {}

    /** Just before the answer is sent. */
    default void beforeResponse() {}
}
