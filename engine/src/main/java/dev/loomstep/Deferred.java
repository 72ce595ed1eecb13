package dev.loomstep;

/**
 * A run deferred by {@link Step#defer}, to start once this run has finished. {@link #abort()} drops it while
 * this run still runs; once the run has finished, the deferred run is scheduled and can only be cancelled.
 */
public interface Deferred {

    /**
     * Drops the deferred run (at most once per run, however often this is called or replayed). Does nothing
     * when the executor says the defer can no longer be aborted.
     */
    void abort();
}
