package dev.loomstep.internal.run;

import dev.loomstep.StepFailedException;
import dev.loomstep.internal.RunLines;
import dev.loomstep.middleware.LoggingMiddleware;
import dev.loomstep.middleware.StepInfo;
import dev.loomstep.protocol.CallResult;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * What the app's own log says about its runs, through SLF4J logger {@code dev.loomstep.run}: a WARN
 * with the stack for each attempt in which a step or the function threw, an INFO when a function
 * completes or fails for good, and nothing else. Completions past ten a second are summed up in one
 * line a second ({@link RunLines}). While a line is logged the MDC holds {@code run_id},
 * {@code fn_id}, {@code step_id} (for a step) and {@code attempt} (counting from 1).
 *
 * <p>Attempts are counted per step, as in Inngest: the executor's attempt number restarts at 0 once a
 * step succeeds, so the call that completes a run is often "attempt 1" after earlier steps were retried
 * many times. The run-end line says so rather than suggesting the run succeeded at the first try.
 *
 * <p>A WARN's stack is the user's: it ends at the deepest frame of the user's code above Loomstep's,
 * dropping the run machinery and the web server below it, and Loomstep's internal frames between the
 * user's (in the exception and each cause), for the time of the log call only; the exception keeps its
 * full stack for everything else, e.g. the error the executor records.
 */
final class RunLog {
    static final Logger LOG = LoggerFactory.getLogger("dev.loomstep.run");
    static final String ATTEMPT = "attempt";
    /** Completions are logged one by one up to ten a second; past that, one summary line a second. */
    private static volatile RunLines completed = newBudget();

    private static RunLines newBudget() {
        return new RunLines(10, n -> LOG.info(
                "{} more runs completed in the last second (one line each resumes below 10 a second; failures are always logged)", n));
    }

    /** A fresh budget, for tests that read the line of one run after other runs in the same second. */
    static void resetBudget() {
        completed = newBudget();
    }

    private RunLog() {}

    /** A step body threw in this request; {@code fatal} when the step fails for good. */
    static void stepThrew(RunInput<?> input, StepInfo step, Throwable error, boolean fatal, Integer maxAttempts) {
        if (!LOG.isWarnEnabled()) {
            return;
        }
        String[] saved = enter(input, step.id());
        try {
            warn(error, "step \"" + step.id() + "\" of run " + input.runId() + " (" + input.functionId() + ") threw on "
                    + attempt(input, maxAttempts) + "; " + (fatal ? "it fails for good" : "it will be retried"));
        } finally {
            leave(saved);
        }
    }

    /** The function's answer is decided: logs it and returns it unchanged. */
    static CallResult functionEnded(RunInput<?> input, Throwable error, CallResult result, Integer maxAttempts) {
        String[] saved = enter(input, null);
        try {
            if (error == null) {
                if (!LOG.isInfoEnabled() || !completed.allow()) {
                    return result;
                }
                LOG.info("run {} of {} completed; its last call was {} (attempts are counted per step, so earlier steps' retries are not in this number)",
                        input.runId(), input.functionId(), attempt(input, maxAttempts));
                return result;
            }
            // A step that failed for good was logged, with its attempt, when it threw; the function only passes it on.
            if (error instanceof StepFailedException) {
                if (result.noRetry()) {
                    LOG.info("run {} of {} failed for good: {}", input.runId(), input.functionId(), oneLine(error));
                }
                return result;
            }
            warn(error, "function " + input.functionId() + " of run " + input.runId() + " threw on " + attempt(input, maxAttempts)
                    + "; " + (result.noRetry() ? "it fails for good" : "it will be retried"));
            if (result.noRetry()) {
                LOG.info("run {} of {} failed for good on {}: {}", input.runId(), input.functionId(), attempt(input, maxAttempts),
                        oneLine(error));
            }
            return result;
        } finally {
            leave(saved);
        }
    }

    /**
     * Logs {@code message} at WARN with {@code error}, whose stack (and its causes') ends at the user's
     * code for the time of the call: logback and slf4j-simple read it then; a backend that formats later
     * sees the full stack.
     */
    private static void warn(Throwable error, String message) {
        if (!LOG.isWarnEnabled()) {
            return;
        }
        var chain = new ArrayList<Throwable>();
        for (Throwable t = error; t != null && chain.size() < 32 && !chain.contains(t); t = t.getCause()) {
            chain.add(t);
        }
        synchronized (error) {
            var saved = new StackTraceElement[chain.size()][];
            try {
                for (int i = 0; i < chain.size(); i++) {
                    StackTraceElement[] full = chain.get(i).getStackTrace();
                    StackTraceElement[] users = usersPart(full);
                    if (users.length < full.length) {
                        saved[i] = full;
                        chain.get(i).setStackTrace(users);
                    }
                }
                LOG.warn(message, error);
            } finally {
                for (int i = 0; i < chain.size(); i++) {
                    if (saved[i] != null) {
                        chain.get(i).setStackTrace(saved[i]);
                    }
                }
            }
        }
    }

    /**
     * The user's frames: from the top down to the deepest frame of the user's code that lies above
     * Loomstep's deepest frame (below it are the run machinery that called the handler and the web
     * server, test engine or worker that called Loomstep), without Loomstep's and the JDK's internal frames
     * between the first user frame and that one (how {@code step.run} reached the step's body). Frames
     * above the first user frame stay: they are where the error came from. Unchanged when no user frame
     * is above Loomstep's.
     */
    static StackTraceElement[] usersPart(StackTraceElement[] stack) {
        int loomstep = -1;
        for (int i = stack.length - 1; i >= 0; i--) {
            if (isLoomstep(stack[i].getClassName())) {
                loomstep = i;
                break;
            }
        }
        int last = -1;
        for (int i = loomstep - 1; i >= 0 && last < 0; i--) {
            last = isUsers(stack[i].getClassName()) ? i : -1;
        }
        if (last < 0) {
            return stack;
        }
        var out = new ArrayList<StackTraceElement>(last + 1);
        boolean inUsersCode = false;
        for (int i = 0; i <= last; i++) {
            String c = stack[i].getClassName();
            inUsersCode |= isUsers(c);
            if (!inUsersCode || !(isLoomstep(c) || c.startsWith("jdk.internal."))) {
                out.add(stack[i]);
            }
        }
        return out.size() == stack.length ? stack : out.toArray(StackTraceElement[]::new);
    }

    private static boolean isUsers(String className) {
        return !isLoomstep(className) && !isJdk(className);
    }

    /** Loomstep's published packages (not examples or benchmarks, which are user code). */
    private static final List<String> LOOMSTEP = List.of("dev.loomstep.internal.", "dev.loomstep.middleware.", "dev.loomstep.protocol.",
            "dev.loomstep.http.", "dev.loomstep.undertow.", "dev.loomstep.connect.", "dev.loomstep.spring.", "dev.loomstep.test.",
            "dev.loomstep.devserver.", "dev.loomstep.ai.", "dev.loomstep.fetch.", "dev.loomstep.flow.");

    private static boolean isLoomstep(String className) {
        if (!className.startsWith("dev.loomstep.")) {
            return false;
        }
        // The root API package: dev.loomstep.Step, dev.loomstep.Loomstep, dev.loomstep.Function$Builder...
        return className.indexOf('.', "dev.loomstep.".length()) < 0 || LOOMSTEP.stream().anyMatch(className::startsWith);
    }

    private static boolean isJdk(String className) {
        return className.startsWith("java.") || className.startsWith("javax.") || className.startsWith("jdk.")
                || className.startsWith("sun.") || className.startsWith("com.sun.");
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
