package dev.loomstep.test;

import dev.loomstep.Event;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One run of a {@link TestEngine} being set up: the events that may answer its {@code waitForEvent}
 * steps, then {@link #run()} or {@link #runUntil(String)}.
 */
public final class Execution {
    private final TestEngine engine;
    private final List<Event> trigger;
    private final List<TestRun.Arrival> arrivals = new ArrayList<>();

    Execution(TestEngine engine, List<Event> trigger) {
        this.engine = engine;
        this.trigger = trigger;
    }

    /**
     * An event that is there whenever the run waits: it answers the first {@code waitForEvent} it matches
     * (name and {@code if}), at the moment the wait starts.
     */
    public Execution receive(Event event) {
        arrivals.add(new TestRun.Arrival(null, Objects.requireNonNull(event, "an event must not be null")));
        return this;
    }

    /**
     * An event that arrives {@code after} the trigger, in virtual time: it answers a matching
     * {@code waitForEvent} that started before it arrived and had not timed out by then.
     */
    public Execution receive(Duration after, Event event) {
        if (after.isNegative()) {
            throw new IllegalArgumentException("an event arrives after the trigger, not " + after + " before it");
        }
        arrivals.add(new TestRun.Arrival(after, Objects.requireNonNull(event, "an event must not be null")));
        return this;
    }

    /** Runs to the end: completed, or failed for good (and then its onFailure handler, if any). */
    public RunResult run() {
        return new TestRun(engine, engine.functionId, trigger, arrivals, null).execute();
    }

    /**
     * Runs until the step with this id has its result (or the run ends first), and stops there: the
     * result is {@link RunStatus#RUNNING} with the steps so far.
     */
    public RunResult runUntil(String stepId) {
        return new TestRun(engine, engine.functionId, trigger, arrivals, Objects.requireNonNull(stepId, "a step id must not be null")).execute();
    }
}
