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
     *
     * <p>Fails fast, like JS {@code Promise.all} and {@code StructuredTaskScope.ShutdownOnFailure}: the
     * first branch to throw (a failed step, or its own code) makes this call throw that exception at once;
     * the other branches are abandoned and report no further steps. Use {@link #parallelSettled} to let every
     * branch finish whatever happens to the others.
     */
    <T> List<T> parallel(List<? extends Callable<? extends T>> branches);

    /**
     * As {@link #parallel}, but every branch runs to its end (JS {@code Promise.allSettled}): returns how
     * each one ended, in order, and never throws for a branch's failure.
     */
    <T> List<Settled<T>> parallelSettled(List<? extends Callable<? extends T>> branches);

    /**
     * Runs the branches as a race (JS {@code group.parallel({mode: "race"}, () => Promise.race(...))}) and
     * returns the result of the first to finish, or throws the exception of the first to fail. "First" is
     * the executor's completion order ({@code ctx.stack}), so every replay picks the same winner; the others
     * are abandoned for good and report no further steps. Their steps are sent with
     * {@code opts.parallelMode: "race"}, so the executor continues the run as soon as any of them ends.
     */
    <T> T race(List<? extends Callable<? extends T>> branches);

    /**
     * Pauses until {@link Loomstep#sendSignal} (or any SDK, or the {@code POST /v1/signals} API) sends the
     * signal named in {@code options}, binding its data to {@code type}; empty when the timeout passes first.
     */
    <T> Optional<T> waitForSignal(String id, Class<T> type, WaitForSignal options);

    /**
     * Sends a signal durably (once, however often the run replays) and returns the id of the run it resumed,
     * or empty when no run was waiting for it.
     */
    Optional<String> sendSignal(String id, String signal, Object data);

    /**
     * Publishes {@code data} to {@code topic} of realtime channel {@code channel} durably: once, however often
     * the run replays (the JS SDK's {@code step.realtime.publish}, a step of type {@code step.realtime.publish}).
     * The message carries this run's id. For a publish outside a run, see {@link Loomstep#publish}.
     */
    void publish(String id, String channel, String topic, Object data);

    /**
     * A durable HTTP request made by the executor, not by this app: no thread waits for the answer, and
     * the response is memoized as the step's result (as the JS SDK's {@code step.fetch}). Any HTTP status
     * is a response; a request that gets none (refused, reset, timed out) is retried per the function's
     * retries and then fails the step. The step is named {@code "step.fetch: {host}"}, as in the JS SDK.
     */
    FetchResponse fetch(FetchRequest request);

    /** As {@link #fetch(FetchRequest)}, with a step id of your choosing. */
    FetchResponse fetch(String id, FetchRequest request);

    /**
     * Defers a run of another function until this run has finished (completed, failed or cancelled), as the
     * JS SDK's {@code defer(id, {function, data})}: no step waits for it, and it rides along with whatever
     * this request sends next. Once per run and {@code id} (a second call with the same id in a run is
     * ignored with a warning); the executor drops defers past 20 per run or 4 MB of data.
     *
     * <pre>{@code
     * Deferred receipt = step.defer("send-receipt", Defer.function(sendReceipt).data(new Receipt(orderId)));
     * if (cancelled) receipt.abort();
     * }</pre>
     *
     * @throws IllegalArgumentException when the data does not serialise to a JSON object
     */
    Deferred defer(String id, Defer options);

    /**
     * Run metadata set by a step of its own, {@code id} (JS {@code step.metadata(id)}): the update rides on that
     * step's op, once per run. Inside a {@code step.run} body, {@code app.metadata(runId)} for this run or that
     * step also rides on the step's op.
     */
    dev.loomstep.metadata.StepMetadata metadata(String id);

    /** The AI step tools: {@code infer} (a model call the executor makes) and {@code wrap}. */
    Ai ai();

    /** A {@link Runnable} that may throw. */
    @FunctionalInterface
    interface ThrowingRunnable {
        void run() throws Exception;
    }
}
