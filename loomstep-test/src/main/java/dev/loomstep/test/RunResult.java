package dev.loomstep.test;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Event;
import dev.loomstep.protocol.Json;
import dev.loomstep.protocol.WireError;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The outcome of one {@link TestEngine} run: status, output or error, every step in order, the events
 * sent, the parallel branches planned, and the onFailure handler's run when the function failed.
 * {@link #toString()} prints all of it, so it reads well as an assertion message.
 *
 * <pre>{@code
 * RunResult r = engine.trigger(Event.of("api/account.created", user)).run();
 * assertEquals(RunStatus.COMPLETED, r.status(), r.toString());
 * assertEquals(List.of("initial-delay", "on-user-created", "wait-for-activity", "send-nudge"), r.stepIds());
 * assertEquals("nudged", r.output(Outcome.class).followUp());
 * }</pre>
 */
public final class RunResult {
    private final String functionId;
    private final String runId;
    private final RunStatus status;
    private final JsonNode output;
    private final WireError error;
    private final String pending;
    private final List<StepResult> steps;
    private final List<Event> sentEvents;
    private final List<List<String>> parallel;
    private final RunResult onFailure;
    private final Duration elapsed;
    private final int calls;

    RunResult(String functionId, String runId, RunStatus status, JsonNode output, WireError error, String pending,
              List<StepResult> steps, List<Event> sentEvents, List<List<String>> parallel, RunResult onFailure,
              Duration elapsed, int calls) {
        this.functionId = functionId;
        this.runId = runId;
        this.status = status;
        this.output = output;
        this.error = error;
        this.pending = pending;
        this.steps = List.copyOf(steps);
        this.sentEvents = List.copyOf(sentEvents);
        this.parallel = parallel.stream().map(List::copyOf).toList();
        this.onFailure = onFailure;
        this.elapsed = elapsed;
        this.calls = calls;
    }

    /** The composite function id ({@code appId-fnId}). */
    public String functionId() {
        return functionId;
    }

    public String runId() {
        return runId;
    }

    public RunStatus status() {
        return status;
    }

    /** The function's result as JSON (JSON null for a void function); null unless {@link RunStatus#COMPLETED}. */
    public JsonNode output() {
        return output;
    }

    /** The function's result bound to {@code type}; throws, with this result's summary, when it did not complete. */
    public <T> T output(Class<T> type) {
        return Json.mapper().convertValue(requireOutput(), type);
    }

    public <T> T output(TypeReference<T> type) {
        return Json.mapper().convertValue(requireOutput(), type);
    }

    /** The error the function failed with; null unless {@link RunStatus#FAILED}. */
    public WireError error() {
        return error;
    }

    /** Every step in the order the function reached it (a parallel fan-out's in branch order). */
    public List<StepResult> steps() {
        return steps;
    }

    /** The step ids in order, repeats included. */
    public List<String> stepIds() {
        return steps.stream().map(StepResult::id).toList();
    }

    /** The first step with this id; throws, listing the ids there are, when there is none. */
    public StepResult step(String id) {
        return steps.stream().filter(s -> s.id().equals(id)).findFirst().orElseThrow(() -> new IllegalArgumentException(
                "the run has no step \"" + id + "\"; its steps are " + stepIds()));
    }

    /** The events the function sent with {@code step.sendEvent}, with the ids it got back. */
    public List<Event> sentEvents() {
        return sentEvents;
    }

    /**
     * The run steps planned together by a parallel fan-out, one list of step ids per fan-out, in the order
     * the function reached them.
     */
    public List<List<String>> parallelBranches() {
        return parallel;
    }

    /** The run of the function's onFailure handler, when the function failed and has one. */
    public Optional<RunResult> onFailure() {
        return Optional.ofNullable(onFailure);
    }

    /** Virtual time from the trigger to the end: sleeps, waits and retry backoff, none of it waited for. */
    public Duration elapsed() {
        return elapsed;
    }

    /** How many call requests the engine made, as an executor would have. */
    public int calls() {
        return calls;
    }

    private JsonNode requireOutput() {
        if (status != RunStatus.COMPLETED) {
            throw new IllegalStateException("the run did not complete, so it has no output: " + this);
        }
        return output;
    }

    @Override
    public String toString() {
        var b = new StringBuilder("run ").append(runId).append(" of ").append(functionId).append(": ").append(status);
        switch (status) {
            case COMPLETED -> b.append(" → ").append(output);
            case FAILED -> b.append(" ✗ ").append(error.name()).append(": ").append(error.message());
            case RUNNING -> b.append(pending == null ? "" : " (" + pending + ")");
        }
        b.append(" after ").append(elapsed).append(" of virtual time");
        for (StepResult s : steps) {
            b.append("\n  ").append(s);
        }
        for (Event e : sentEvents) {
            b.append("\n  sent ").append(e.name()).append(' ').append(e.data());
        }
        if (onFailure != null) {
            b.append("\n  onFailure: ").append(onFailure.toString().replace("\n", "\n  "));
        }
        return b.toString();
    }
}
