package dev.loomstep.internal.run;

import dev.loomstep.StepFailedException;
import dev.loomstep.middleware.LoggingMiddleware;
import dev.loomstep.middleware.StepInfo;
import dev.loomstep.protocol.CallResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * What the app's own log says about its runs, through SLF4J logger {@code dev.loomstep.run}: a WARN
 * with the stack for each attempt in which a step or the function threw, an INFO when a function
 * completes or fails for good, and nothing else. While a line is logged the MDC holds {@code run_id},
 * {@code fn_id}, {@code step_id} (for a step) and {@code attempt} (counting from 1).
 */
final class RunLog {
    static final Logger LOG = LoggerFactory.getLogger("dev.loomstep.run");
    static final String ATTEMPT = "attempt";

    private RunLog() {}

    /** A step body threw in this request; {@code fatal} when the step fails for good. */
    static void stepThrew(RunInput<?> input, StepInfo step, Throwable error, boolean fatal, Integer maxAttempts) {
        if (!LOG.isWarnEnabled()) {
            return;
        }
        String[] saved = enter(input, step.id());
        try {
            LOG.warn("step \"{}\" of run {} ({}) threw on {}; {}", step.id(), input.runId(), input.functionId(),
                    attempt(input, maxAttempts), fatal ? "it fails for good" : "it will be retried", error);
        } finally {
            leave(saved);
        }
    }

    /** The function's answer is decided: logs it and returns it unchanged. */
    static CallResult functionEnded(RunInput<?> input, Throwable error, CallResult result, Integer maxAttempts) {
        String[] saved = enter(input, null);
        try {
            if (error == null) {
                LOG.info("run {} of {} completed on {}", input.runId(), input.functionId(), attempt(input, maxAttempts));
                return result;
            }
            // A step that failed for good was logged when it threw; the function only passes it on.
            if (!(error instanceof StepFailedException)) {
                LOG.warn("function {} of run {} threw on {}; {}", input.functionId(), input.runId(), attempt(input, maxAttempts),
                        result.noRetry() ? "it fails for good" : "it will be retried", error);
            }
            if (result.noRetry()) {
                LOG.info("run {} of {} failed for good on {}: {}", input.runId(), input.functionId(), attempt(input, maxAttempts),
                        oneLine(error));
            }
            return result;
        } finally {
            leave(saved);
        }
    }

    private static String attempt(RunInput<?> input, Integer maxAttempts) {
        return "attempt " + (input.attempt() + 1) + (maxAttempts == null ? "" : " of " + maxAttempts);
    }

    private static String oneLine(Throwable t) {
        String m = t.getMessage() == null ? "" : t.getMessage().lines().findFirst().orElse("");
        return t instanceof StepFailedException ? m : t.getClass().getSimpleName() + ": " + m;
    }

    private static final String[] KEYS = {LoggingMiddleware.RUN_ID, LoggingMiddleware.FUNCTION_ID, LoggingMiddleware.STEP_ID, ATTEMPT};

    /** Puts the run's ids in the MDC and returns what was there, for {@link #leave}. */
    private static String[] enter(RunInput<?> input, String stepId) {
        String[] saved = new String[KEYS.length];
        for (int i = 0; i < KEYS.length; i++) {
            saved[i] = MDC.get(KEYS[i]);
        }
        MDC.put(LoggingMiddleware.RUN_ID, input.runId());
        MDC.put(LoggingMiddleware.FUNCTION_ID, input.functionId());
        if (stepId != null) {
            MDC.put(LoggingMiddleware.STEP_ID, stepId);
        } else {
            MDC.remove(LoggingMiddleware.STEP_ID);
        }
        MDC.put(ATTEMPT, Integer.toString(input.attempt() + 1));
        return saved;
    }

    private static void leave(String[] saved) {
        for (int i = 0; i < KEYS.length; i++) {
            if (saved[i] == null) {
                MDC.remove(KEYS[i]);
            } else {
                MDC.put(KEYS[i], saved[i]);
            }
        }
    }
}
