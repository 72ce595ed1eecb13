package dev.loomstep.middleware;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Logs each request's outcome and each executed step through SLF4J, with {@code run_id} and
 * {@code fn_id} in the MDC while the function's new code runs (from the end of memoization) and while a
 * step body runs, and {@code step_id} too in a step body, so the user's own log lines carry them. The
 * MDC follows the run into {@code step.parallel} branches; the caller's thread gets its own MDC back
 * when the call returns.
 *
 * <pre>{@code Loomstep.builder("app").middleware(new LoggingMiddleware()) }</pre>
 */
public final class LoggingMiddleware implements Middleware {
    public static final String RUN_ID = "run_id";
    public static final String FUNCTION_ID = "fn_id";
    public static final String STEP_ID = "step_id";

    private final Logger log;

    public LoggingMiddleware() {
        this(LoggerFactory.getLogger("dev.loomstep.run"));
    }

    public LoggingMiddleware(Logger log) {
        this.log = log;
    }

    @Override
    public RunHooks onRun(RunContext run) {
        return new RunHooks() {
            // Each pair is set and read by the baton holder only; the hand-off orders the accesses.
            private long functionStarted;
            private long stepStarted;

            @Override
            public void beforeExecution(StepInfo step) {
                MDC.put(RUN_ID, run.runId());
                MDC.put(FUNCTION_ID, run.functionId());
                if (step == null) {
                    functionStarted = System.nanoTime();
                } else {
                    MDC.put(STEP_ID, step.id());
                    stepStarted = System.nanoTime();
                }
            }

            @Override
            public void afterExecution(StepInfo step) {
                if (step == null) {
                    if (log.isDebugEnabled()) {
                        log.debug("function code ran in {} ms", (System.nanoTime() - functionStarted) / 1_000_000.0);
                    }
                    MDC.remove(RUN_ID);
                    MDC.remove(FUNCTION_ID);
                } else {
                    if (log.isDebugEnabled()) {
                        log.debug("step \"{}\" ({}) ran in {} ms", step.id(), step.kind(), (System.nanoTime() - stepStarted) / 1_000_000.0);
                    }
                    MDC.remove(STEP_ID);
                }
            }

            @Override
            public void transformOutput(OutputContext output) {
                if (output.error() != null) {
                    log.info("run {} of {}: {} failed on attempt {}: {}", run.runId(), run.functionId(),
                            output.step() == null ? "function" : "step \"" + output.step().id() + "\"", run.attempt(), output.error().toString());
                } else if (output.step() == null) {
                    log.info("run {} of {}: function returned", run.runId(), run.functionId());
                } else if (log.isDebugEnabled()) {
                    log.debug("run {} of {}: step \"{}\" returned", run.runId(), run.functionId(), output.step().id());
                }
            }

            @Override
            public void beforeResponse() {
                MDC.remove(RUN_ID);
                MDC.remove(FUNCTION_ID);
            }
        };
    }
}
