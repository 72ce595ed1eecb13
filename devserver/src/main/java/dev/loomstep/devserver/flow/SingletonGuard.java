package dev.loomstep.devserver.flow;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.devserver.expr.CelCompiler;
import dev.loomstep.flow.Singleton;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Singleton runs ({@code singleton: {key, mode}}): at most one running run per function and key. A
 * run that finds its key held is skipped ({@code mode: skip}), or takes the key over and the running
 * run is cancelled ({@code mode: cancel}). A key that evaluates to {@code false} exempts the event,
 * as in Inngest.
 *
 * <p>The caller asks {@link #admit} before starting a run and calls {@link #release} when the run
 * ends, whatever the outcome. Thread-safe.
 */
public final class SingletonGuard {
    /** The answer to {@link #admit}. */
    public sealed interface Decision permits Start, Skip, CancelRunning {}

    /** Start the run; it holds {@code key} when not null (null: the singleton does not apply). */
    public record Start(String key) implements Decision {}

    /** Do not start the run: {@code runningRunId} holds the key. */
    public record Skip(String key, String runningRunId) implements Decision {}

    /** Cancel {@code runningRunId}, then start the new run, which now holds the key. */
    public record CancelRunning(String key, String runningRunId) implements Decision {}

    private final ReentrantLock lock = new ReentrantLock();
    private final Map<String, String> holderByKey = new HashMap<>();
    private final Map<String, String> keyByRun = new HashMap<>();

    /**
     * Decides whether run {@code runId} of {@code functionId}, triggered by {@code event}, may start.
     *
     * @throws IllegalArgumentException when the config is invalid (see {@link #validate})
     */
    public Decision admit(String functionId, Singleton config, JsonNode event, String runId) {
        validate(config);
        Objects.requireNonNull(runId, "runId");
        if (FlowKeys.isFalse(config.key(), event)) {
            return new Start(null);
        }
        String key = FlowKeys.scoped(functionId, config.key(), event);
        lock.lock();
        try {
            String holder = holderByKey.get(key);
            if (holder != null && !holder.equals(runId)) {
                if (config.mode() == Singleton.Mode.skip) {
                    return new Skip(key, holder);
                }
                keyByRun.remove(holder);
            }
            holderByKey.put(key, runId);
            keyByRun.put(runId, key);
            return holder != null && !holder.equals(runId) ? new CancelRunning(key, holder) : new Start(key);
        } finally {
            lock.unlock();
        }
    }

    /** Frees the key a run holds, if it still holds one. Safe to call for any run, any number of times. */
    public void release(String runId) {
        lock.lock();
        try {
            String key = keyByRun.remove(runId);
            if (key != null) {
                holderByKey.remove(key, runId);
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Makes {@code runId} the holder of a function-scoped key, as {@link #admit} would have: for start-up,
     * from the runs still running.
     */
    public void restore(String key, String runId) {
        lock.lock();
        try {
            String previous = holderByKey.put(key, runId);
            if (previous != null && !previous.equals(runId)) {
                keyByRun.remove(previous);
            }
            keyByRun.put(runId, key);
        } finally {
            lock.unlock();
        }
    }

    /** The run holding a function-scoped key, if any. */
    public Optional<String> holder(String key) {
        lock.lock();
        try {
            return Optional.ofNullable(holderByKey.get(key));
        } finally {
            lock.unlock();
        }
    }

    /**
     * Checks a config: a mode, and a key that compiles.
     *
     * @throws IllegalArgumentException with a one-line message
     */
    public static void validate(Singleton config) {
        Objects.requireNonNull(config, "singleton");
        if (config.mode() == null) {
            throw new IllegalArgumentException("invalid singleton: mode must be skip or cancel");
        }
        if (config.key() != null && !config.key().isBlank()) {
            CelCompiler.validate(config.key());
        }
    }
}
