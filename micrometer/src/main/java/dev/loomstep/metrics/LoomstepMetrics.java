package dev.loomstep.metrics;

import dev.loomstep.internal.CallObserver;
import dev.loomstep.middleware.Middleware;
import dev.loomstep.middleware.OutputContext;
import dev.loomstep.middleware.RunContext;
import dev.loomstep.middleware.RunHooks;
import dev.loomstep.middleware.StepInfo;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Micrometer meters for a Loomstep app's runs, registered as client-level middleware:
 *
 * <pre>{@code
 * var app = Loomstep.builder("billing")
 *     .functions(sendInvoice)
 *     .middleware(new LoomstepMetrics(registry))
 *     .build();
 * }</pre>
 *
 * <p>Every meter is tagged {@code app} and {@code function} (the function's id within the app; an
 * {@code onFailure} handler is {@code {id}-failure}):
 * <ul>
 *   <li>{@code loomstep.runs.started}, {@code loomstep.runs.completed}, {@code loomstep.runs.failed}
 *       (counters): a run's first call; the function returned; it threw for good (a non-retriable error,
 *       an uncaught failed step, or an error on the executor's last attempt).</li>
 *   <li>{@code loomstep.function.retries} (counter): the function threw and the executor will try again.</li>
 *   <li>{@code loomstep.step.duration} (timer, + {@code kind}, {@code status} = {@code completed} |
 *       {@code errored}): each step body run, measured around the body by the middleware hooks.</li>
 *   <li>{@code loomstep.step.attempts} (distribution summary, + {@code status} = {@code completed} |
 *       {@code failed}): how many attempts a step took, recorded once it returned or failed for good.</li>
 *   <li>{@code loomstep.checkpoint.latency} (timer, + {@code status} = {@code acknowledged} |
 *       {@code failed}): a checkpoint's round trip to the executor.</li>
 *   <li>{@code loomstep.calls.in.flight} (gauge, {@code app} only): call requests running now.</li>
 * </ul>
 * The Connect worker's state is {@link ConnectMetrics}'. Cancelled runs are not counted: the executor
 * cancels a run by no longer calling it, so the SDK never learns of it (the executor's own metrics
 * show them, e.g. the devserver's {@code loomstep_dev_runs{status="Cancelled"}}).
 *
 * <p>Counting is per app instance: each call request is counted by the instance that serves it, so a
 * run whose calls land on several instances counts its start on one and its end on another; sum
 * across instances. A run's first call is the one with attempt 0, no memoized state and no planned step
 * to run; when the executor sends no {@code ctx.max_attempts}, an error on the last attempt counts as a
 * retry (only the executor knows it was the last).
 */
public final class LoomstepMetrics implements Middleware, CallObserver {
    private final MeterRegistry registry;
    private final Tags extraTags;
    private final Map<String, FunctionMeters> byFunction = new ConcurrentHashMap<>();
    private final Map<String, InFlight> inFlight = new ConcurrentHashMap<>();

    /** Meters in {@code registry}. */
    public LoomstepMetrics(MeterRegistry registry) {
        this(registry, Tags.empty());
    }

    /** Meters in {@code registry}, each with {@code extraTags} too (e.g. the deployment's region). */
    public LoomstepMetrics(MeterRegistry registry, Iterable<Tag> extraTags) {
        this.registry = Objects.requireNonNull(registry, "a meter registry must not be null");
        this.extraTags = Tags.of(Objects.requireNonNull(extraTags, "tags must not be null"));
    }

    // ---- CallObserver: the engine's verdicts, calls and checkpoints ------------------------------

    @Override
    public Call callStarted(String appId, String functionId, boolean firstCall) {
        FunctionMeters m = meters(appId, functionId);
        InFlight calls = inFlight.computeIfAbsent(appId, a -> new InFlight(registry, extraTags.and("app", a)));
        calls.count.incrementAndGet();
        if (firstCall) {
            m.started.increment();
        }
        return new Call() {
            @Override
            public void stepEnded(StepInfo step, int attempt, Verdict verdict) {
                switch (verdict) {
                    case SUCCEEDED -> m.attemptsCompleted.record(attempt + 1);
                    case FAILED -> m.attemptsFailed.record(attempt + 1);
                    case RETRY -> { }
                }
            }

            @Override
            public void functionEnded(Verdict verdict) {
                switch (verdict) {
                    case SUCCEEDED -> m.completed.increment();
                    case FAILED -> m.failed.increment();
                    case RETRY -> m.retries.increment();
                }
            }

            @Override
            public void checkpointed(Duration latency, boolean acknowledged) {
                (acknowledged ? m.checkpointAcknowledged : m.checkpointFailed).record(latency);
            }

            @Override
            public void callEnded() {
                calls.count.decrementAndGet();
            }
        };
    }

    // ---- Middleware: step durations from the execution hooks --------------------------------------

    @Override
    public RunHooks onRun(RunContext run) {
        String appId = appIdOf(run);
        FunctionMeters m = meters(appId, run.function().id());
        return new RunHooks() {
            /** By hashed step id: when the body started, then (negated) how long it ran. Bodies may run side by side. */
            private final Map<String, Long> steps = new ConcurrentHashMap<>();

            @Override
            public void beforeExecution(StepInfo step) {
                if (step != null) {
                    steps.put(step.hashedId(), System.nanoTime());
                }
            }

            @Override
            public void afterExecution(StepInfo step) {
                if (step != null) {
                    Long started = steps.get(step.hashedId());
                    if (started != null) {
                        steps.put(step.hashedId(), -(System.nanoTime() - started));
                    }
                }
            }

            @Override
            public void transformOutput(OutputContext output) {
                StepInfo step = output.step();
                Long took = step == null ? null : steps.remove(step.hashedId());
                if (took != null && took <= 0) {
                    m.stepDuration(step.kind(), output.error() == null).record(-took, TimeUnit.NANOSECONDS);
                }
            }
        };
    }

    /** The app's id: the composite function id without the function's own id and its dash. */
    private static String appIdOf(RunContext run) {
        String composite = run.functionId();
        int cut = composite.length() - run.function().id().length() - 1;
        return cut > 0 ? composite.substring(0, cut) : composite;
    }

    private FunctionMeters meters(String appId, String functionId) {
        return byFunction.computeIfAbsent(appId + '\n' + functionId,
                k -> new FunctionMeters(registry, extraTags.and("app", appId, "function", functionId)));
    }
}
