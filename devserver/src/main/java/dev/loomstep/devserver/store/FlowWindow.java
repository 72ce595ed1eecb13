package dev.loomstep.devserver.store;

/**
 * One key's state of a flow-control window that must outlive the process: an idempotency claim, or
 * the theoretical arrival time of a rate limit's or throttle's GCRA. A window whose {@code expiresAt}
 * has passed is worth nothing (an absent key behaves the same) and may be dropped.
 *
 * @param kind      {@link #IDEMPOTENCY}, {@link #RATE_LIMIT} or {@link #THROTTLE}
 * @param key       the function-scoped key
 * @param value     the claim time (epoch ms) of an idempotency key; the GCRA's TAT (epoch ns) of a rate limit or throttle
 * @param expiresAt when the window stops mattering (epoch ms)
 */
public record FlowWindow(String kind, String key, long value, long expiresAt) {
    public static final String IDEMPOTENCY = "idempotency";
    public static final String RATE_LIMIT = "rate_limit";
    public static final String THROTTLE = "throttle";
}
