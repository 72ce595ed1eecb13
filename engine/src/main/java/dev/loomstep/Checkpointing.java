package dev.loomstep;

import java.time.Duration;

/**
 * How a function checkpoints: the Inngest protocol's fast path, on by default as in the official JS SDK
 * 4.x. When the executor's call carries {@code ctx.fn_id} and {@code ctx.qi_id}, targets no step and
 * allows immediate execution, the SDK runs sequential steps back to back on the same request and
 * reports each executed step to the executor's checkpoint API ({@code POST /v1/checkpoint/{runId}/async})
 * instead of answering after every step. It answers the request when the run ends, or when it reaches
 * something it cannot run in place (a sleep, a waitForEvent, an invoke, a step error to retry), or after
 * {@link #maxRuntime()}; if a checkpoint fails it answers with the executed steps the classic way. The
 * branches of a parallel fan-out run there too, side by side (see {@link #parallelSteps()}).
 *
 * <pre>{@code
 * Loomstep.builder("billing").checkpointing(Checkpointing.off());              // classic, one step per request
 * Function.builder("import").checkpointing(Checkpointing.builder()
 *         .bufferedSteps(10).maxInterval(Duration.ofSeconds(1)).build());       // batch ten steps per checkpoint
 * Function.builder("ledger").checkpointing(Checkpointing.jsDefaults());          // the JS SDK's one checkpoint per step
 * }</pre>
 *
 * Loomstep's default differs from JS 4.24's in one way: the run does not stop at a checkpoint in flight
 * ({@link #runAhead()} 16, see there), and it runs a fan-out's branch steps in the request that found them
 * ({@link #parallelSteps()}, where JS plans each branch as a call of its own); {@link #jsDefaults()} is
 * exactly JS's one checkpoint per step.
 * Immutable. A function's setting replaces the app's.
 */
public final class Checkpointing {
    /**
     * How many executed steps the default lets wait behind a checkpoint in flight: enough that a run of
     * sequential steps costs about one checkpoint plus its answer per request, few enough that a crash
     * repeats little.
     */
    static final int DEFAULT_RUN_AHEAD = 16;
    /**
     * How many branch step bodies the default runs at once in one request: as many as the Inngest executor
     * takes ops in one answer, so a fan-out of that size runs all at once.
     */
    static final int DEFAULT_PARALLEL_STEPS = 1000;
    /**
     * How long the default lets an executed step's result wait for company when no checkpoint is in flight:
     * short enough that a crash repeats little, long enough that a quick run's steps leave in one checkpoint.
     */
    static final Duration DEFAULT_LINGER = Duration.ofMillis(20);
    /** JS 4.24's defaults (each step checkpointed as soon as it ran, no interval, re-enter after 10 s), running ahead. */
    private static final Checkpointing DEFAULTS = new Checkpointing(true, 1, Duration.ZERO, Duration.ofSeconds(10), DEFAULT_RUN_AHEAD,
            DEFAULT_PARALLEL_STEPS, DEFAULT_LINGER);
    private static final Checkpointing JS_DEFAULTS = new Checkpointing(true, 1, Duration.ZERO, Duration.ofSeconds(10), 0, 0, Duration.ZERO);
    private static final Checkpointing OFF = new Checkpointing(false, 1, Duration.ZERO, Duration.ZERO, 0, 0, Duration.ZERO);

    private final boolean enabled;
    private final int bufferedSteps;
    private final Duration maxInterval;
    private final Duration maxRuntime;
    private final int runAhead;
    private final int parallelSteps;
    private final Duration linger;

    private Checkpointing(boolean enabled, int bufferedSteps, Duration maxInterval, Duration maxRuntime, int runAhead,
                          int parallelSteps, Duration linger) {
        this.linger = linger;
        this.enabled = enabled;
        this.bufferedSteps = bufferedSteps;
        this.maxInterval = maxInterval;
        this.maxRuntime = maxRuntime;
        this.runAhead = runAhead;
        this.parallelSteps = parallelSteps;
    }

    /**
     * Loomstep's default: the official SDK's {@code bufferedSteps(1)}, no {@code maxInterval} and
     * {@code maxRuntime(10 s)}, with {@code runAhead(16)}: the run keeps executing while a checkpoint is
     * in flight, and what piled up meanwhile leaves in the next checkpoint; and
     * {@code parallelSteps(1000)}: a fan-out's branch steps run side by side in the request that found them.
     */
    public static Checkpointing defaults() {
        return DEFAULTS;
    }

    /**
     * The JS SDK 4.24's behaviour exactly: {@link #defaults()} with {@code runAhead(0)}, so a step's
     * checkpoint is acknowledged before the step after next runs, and a crash repeats at most the one
     * step executed while its predecessor's checkpoint was in flight; and {@code parallelSteps(0)}, so a
     * fan-out is answered with its planned steps, each then called on a request of its own.
     */
    public static Checkpointing jsDefaults() {
        return JS_DEFAULTS;
    }

    /** No checkpointing: every executed step is answered on its own request (the classic protocol). */
    public static Checkpointing off() {
        return OFF;
    }

    /** Starts from {@link #defaults()}. */
    public static Builder builder() {
        return new Builder();
    }

    public boolean enabled() {
        return enabled;
    }

    /** How many executed steps are sent together in one checkpoint (1: each step as soon as it ran). */
    public int bufferedSteps() {
        return bufferedSteps;
    }

    /**
     * Buffered steps are sent once the oldest unsent one is this old, even when fewer than
     * {@link #bufferedSteps()} are buffered; checked whenever a step finishes. Zero: no such limit.
     */
    public Duration maxInterval() {
        return maxInterval;
    }

    /**
     * How long one request may keep running steps in place; after that the next new step is handed back
     * to the executor, which calls again with a fresh request. Zero: no limit.
     */
    public Duration maxRuntime() {
        return maxRuntime;
    }

    /**
     * How many executed steps may wait while a checkpoint is in flight before the run waits for its
     * acknowledgement; 16 by default. Zero ({@link #jsDefaults()}, the JS SDK's behaviour): each step
     * waits for its checkpoint's acknowledgement before the next one runs, so a checkpoint the executor
     * refuses (while it is retried, and after) stops the run there. With {@code n > 0} the run keeps executing,
     * buffering up to {@code n} steps that go out together as soon as the checkpoint in flight is
     * acknowledged (or with the request's answer): fewer round trips per run, at the price of up to
     * {@code n} more steps a crash or a stale dispatch can make run again. The run never answers, sleeps
     * or waits before every step it reports is acknowledged.
     */
    public int runAhead() {
        return runAhead;
    }

    /**
     * How many branch step bodies of a parallel fan-out ({@code step.parallel}, {@code parallelSettled})
     * one request runs at once; 1,000 by default. When a request finds several branches waiting on
     * {@code step.run} steps it runs their bodies side by side, each on its branch's virtual thread (at
     * most this many at a time), reports the results through the checkpoint API in batches while the
     * others still run, and lets every branch go on once all of them ended: one request for the whole
     * fan-out instead of one per branch. A branch step that throws is answered as the classic protocol
     * answers it (the request's other results are checkpointed first), and the executor retries it.
     * Steps inside a {@code step.race} are never run this way (they are planned, as in JS). Zero: a fan-out
     * is answered with its planned steps, as the JS SDK does.
     */
    public int parallelSteps() {
        return parallelSteps;
    }

    /**
     * How long an executed step's result may wait for company before a checkpoint takes it, when no
     * checkpoint is in flight; 20 ms by default, used only with {@link #runAhead()} above zero. The run
     * does not wait: it goes on with the next step, and the waiting results leave together when the linger
     * is over (a timer sends them even while a long step body runs), when {@code runAhead} more steps wait,
     * or right away when the run answers (ends, sleeps, waits, fails a step). So a run of quick steps costs
     * one checkpoint plus its answer instead of a first checkpoint with its first step alone and a second
     * with the rest, and the answer never waits for the linger; a crash may repeat the steps that ran in
     * the last {@code linger}. The results of a fan-out's branches run side by side wait the same way.
     * Zero: a step's result leaves as soon as nothing is in flight.
     */
    public Duration linger() {
        return linger;
    }

    @Override
    public String toString() {
        return enabled ? "Checkpointing[bufferedSteps=" + bufferedSteps + ", maxInterval=" + maxInterval + ", maxRuntime=" + maxRuntime
                + (runAhead == 0 ? "" : ", runAhead=" + runAhead + ", linger=" + linger) + ", parallelSteps=" + parallelSteps + "]"
                : "Checkpointing[off]";
    }

    /** Builds an enabled {@link Checkpointing}. */
    public static final class Builder {
        private int bufferedSteps = DEFAULTS.bufferedSteps;
        private Duration maxInterval = DEFAULTS.maxInterval;
        private Duration maxRuntime = DEFAULTS.maxRuntime;
        private int runAhead = DEFAULTS.runAhead;
        private int parallelSteps = DEFAULTS.parallelSteps;
        private Duration linger = DEFAULTS.linger;

        private Builder() {}

        /** See {@link Checkpointing#linger()}; zero sends each result as soon as nothing is in flight. */
        public Builder linger(Duration d) {
            linger = nonNegative(d, "linger");
            return this;
        }

        /** Steps per checkpoint, at least 1. */
        public Builder bufferedSteps(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("bufferedSteps must be at least 1, got " + n);
            }
            bufferedSteps = n;
            return this;
        }

        /** See {@link Checkpointing#maxInterval()}; zero turns it off. */
        public Builder maxInterval(Duration d) {
            maxInterval = nonNegative(d, "maxInterval");
            return this;
        }

        /** See {@link Checkpointing#maxRuntime()}; zero turns it off. */
        public Builder maxRuntime(Duration d) {
            maxRuntime = nonNegative(d, "maxRuntime");
            return this;
        }

        /** See {@link Checkpointing#runAhead()}; zero or more. */
        public Builder runAhead(int steps) {
            if (steps < 0) {
                throw new IllegalArgumentException("runAhead must not be negative, got " + steps);
            }
            runAhead = steps;
            return this;
        }

        /** See {@link Checkpointing#parallelSteps()}; zero (fan-outs planned) or more. */
        public Builder parallelSteps(int bodies) {
            if (bodies < 0) {
                throw new IllegalArgumentException("parallelSteps must not be negative, got " + bodies);
            }
            parallelSteps = bodies;
            return this;
        }

        public Checkpointing build() {
            return new Checkpointing(true, bufferedSteps, maxInterval, maxRuntime, runAhead, parallelSteps, linger);
        }

        private static Duration nonNegative(Duration d, String what) {
            Checks.notNull(d, what);
            if (d.isNegative()) {
                throw new IllegalArgumentException(what + " must not be negative, got " + d);
            }
            return d;
        }
    }
}
