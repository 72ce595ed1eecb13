package dev.loomstep.devserver.flow;

/**
 * Told when a rate limit's or throttle's window moves for a key, so the new state can be saved with
 * the event that moved it (see {@link ConfiguredFlowControl}); the limiter itself keeps its state in memory.
 */
@FunctionalInterface
public interface WindowListener {
    /** Ignores every change. */
    WindowListener NONE = (key, tatNanos) -> {};

    /**
     * @param key      the function-scoped key
     * @param tatNanos the key's new theoretical arrival time (ns since the epoch): once it has passed,
     *                 the key is as good as new
     */
    void moved(String key, long tatNanos);
}
