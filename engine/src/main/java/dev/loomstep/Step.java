package dev.loomstep;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.loomstep.ai.Ai;
import dev.loomstep.fetch.FetchRequest;
import dev.loomstep.fetch.FetchResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * The step tools of a run. Each call is durable: its result is memoized by the executor under a hash of
 * {@code id}, so on replay it returns at once without running again. Ids are any string; using the
 * same id twice is legal (the second use is the id's first repeat).
 */
public interface Step {

    /** Runs {@code body} once, retried on failure, and memoizes its result bound to {@code type}. */
    <T> T run(String id, Class<T> type, Callable<? extends T> body);

    /** As {@link #run(String, Class, Callable)} for generic results ({@code List<User>}). */
    <T> T run(String id, TypeReference<T> type, Callable<? extends T> body);

    /** Runs {@code body} once, for its effect. */
    void run(String id, ThrowingRunnable body);

    /** Pauses the run durably; no thread waits meanwhile. */
    void sleep(String id, Duration duration);

    /** Pauses the run durably until {@code until}. */
    void sleepUntil(String id, Instant until);

    /**
     * Pauses until a matching event arrives, binding its {@code data} to {@code type}; empty when the
     * timeout passes first.
     */
    <T> Optional<T> waitForEvent(String id, Class<T> type, WaitForEvent options);

    /** As {@link #waitForEvent(String, Class, WaitForEvent)}, returning the whole matching event. */
    Optional<Event> waitForEvent(String id, WaitForEvent options);

    /**
     * Runs another function and returns its result bound to {@code type}.
     *
     * @throws StepFailedException when the invoked function failed or the timeout passed
     */
    <T> T invoke(String id, Class<T> type, Invoke options);

    /** Sends events durably (once, however often the run replays) and returns their ids. */
    List<String> sendEvent(String id, Event... events);

    /** As {@link #sendEvent(String, Event...)} for a list. */
    List<String> sendEvent(String id, List<Event> events);

    /**
     * Runs each branch as its own durable path and returns their results in order. Steps reached by the
     * branches are reported to the executor together and executed in parallel.
     */
    <T> List<T> parallel(List<? extends Callable<? extends T>> branches);

    /**
     * A durable HTTP request made by the executor, not by this app: no thread waits for the answer, and
     * the response is memoized as the step's result (as the JS SDK's {@code step.fetch}). Any HTTP status
     * is a response; a request that gets none (refused, reset, timed out) is retried per the function's
     * retries and then fails the step. The step is named {@code "step.fetch: {host}"}, as in the JS SDK.
     */
    FetchResponse fetch(FetchRequest request);

    /** As {@link #fetch(FetchRequest)}, with a step id of your choosing. */
    FetchResponse fetch(String id, FetchRequest request);

    /** The AI step tools: {@code infer} (a model call the executor makes) and {@code wrap}. */
    Ai ai();

    /** A {@link Runnable} that may throw. */
    @FunctionalInterface
    interface ThrowingRunnable {
        void run() throws Exception;
    }
}
