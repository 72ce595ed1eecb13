package dev.loomstep.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** One function's meters, looked up once per function rather than once per call. */
final class FunctionMeters {
    final Counter started;
    final Counter completed;
    final Counter failed;
    final Counter retries;
    final DistributionSummary attemptsCompleted;
    final DistributionSummary attemptsFailed;
    final Timer checkpointAcknowledged;
    final Timer checkpointFailed;
    private final MeterRegistry registry;
    private final Tags tags;
    /** By step kind, then outcome: the kinds are few (run, sendEvent, ai...). */
    private final Map<String, Timer> stepDurations = new ConcurrentHashMap<>();

    FunctionMeters(MeterRegistry registry, Tags tags) {
        this.registry = registry;
        this.tags = tags;
        started = counter("loomstep.runs.started", "Runs started: their first call reached this app");
        completed = counter("loomstep.runs.completed", "Runs whose function returned");
        failed = counter("loomstep.runs.failed", "Runs whose function threw for good (non-retriable, a failed step, or the last attempt)");
        retries = counter("loomstep.function.retries", "Calls in which the function threw and the executor will try again");
        attemptsCompleted = attempts("completed");
        attemptsFailed = attempts("failed");
        checkpointAcknowledged = checkpoint("acknowledged");
        checkpointFailed = checkpoint("failed");
    }

    Timer stepDuration(String kind, boolean completed) {
        return stepDurations.computeIfAbsent(kind + (completed ? "/completed" : "/errored"), k -> Timer.builder("loomstep.step.duration")
                .description("How long a step's body ran (one sample per attempt)")
                .tags(tags).tag("kind", kind).tag("status", completed ? "completed" : "errored")
                .register(registry));
    }

    private Counter counter(String name, String description) {
        return Counter.builder(name).description(description).tags(tags).register(registry);
    }

    private DistributionSummary attempts(String status) {
        return DistributionSummary.builder("loomstep.step.attempts")
                .description("Attempts a step took, once it returned (completed) or failed for good (failed)")
                .tags(tags).tag("status", status).register(registry);
    }

    private Timer checkpoint(String status) {
        return Timer.builder("loomstep.checkpoint.latency")
                .description("Round trip of a checkpoint to the executor's checkpoint API")
                .tags(tags).tag("status", status).register(registry);
    }
}
