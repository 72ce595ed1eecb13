package dev.loomstep.middleware;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Logs each request's outcome and each executed step through SLF4J, with {@code run_id},
 * {@code fn_id} and {@code step_id} in the MDC while user code runs, so the user's own log lines carry
 * them too.
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
            private long started;

            @Override
            public void beforeExecution(StepInfo step) {
                MDC.put(RUN_ID, run.runId());
                MDC.put(FUNCTION_ID, run.functionId());
                MDC.put(STEP_ID, step == null ? null : step.id());
                started = System.nanoTime();
            }

            @Override
            public void afterExecution(StepInfo step) {
                if (log.isDebugEnabled()) {
                    log.debug("step \"{}\" ({}) ran in {} ms", step == null ? "-" : step.id(), step == null ? "function" : step.kind(),
                            (System.nanoTime() - started) / 1_000_000.0);
                }
                MDC.remove(STEP_ID);
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
