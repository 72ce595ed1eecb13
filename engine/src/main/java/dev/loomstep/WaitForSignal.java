package dev.loomstep;

import java.time.Duration;

/**
 * Options of {@link Step#waitForSignal}: the signal to wait for, how long, and what to do when another
 * run already waits for the same signal.
 *
 * <pre>{@code
 * Optional<Approval> ok = step.waitForSignal("approval", Approval.class,
 *         WaitForSignal.of("approve/order-" + orderId).timeout(Duration.ofDays(3)));
 * }</pre>
 *
 * <p>A signal name has at most one waiter at a time. By default a second run that waits on a name
 * already waited on fails (as the Inngest server does); {@link #replaceOnConflict()} makes the new wait
 * take the name over, leaving the earlier one to time out.
 */
public record WaitForSignal(String signal, Duration timeout, boolean replace) {

    public WaitForSignal {
        Checks.notBlank(signal, "the signal to wait for");
        Checks.notNull(timeout, "a waitForSignal timeout");
    }

    /** Waits for {@code signal}; the default timeout is one hour until {@link #timeout} says otherwise. */
    public static WaitForSignal of(String signal) {
        return new WaitForSignal(signal, Duration.ofHours(1), false);
    }

    /** How long to wait before the step returns empty. */
    public WaitForSignal timeout(Duration after) {
        return new WaitForSignal(signal, after, replace);
    }

    /** Takes the signal name over from a run already waiting on it (JS {@code onConflict: "replace"}). */
    public WaitForSignal replaceOnConflict() {
        return new WaitForSignal(signal, timeout, true);
    }
}
