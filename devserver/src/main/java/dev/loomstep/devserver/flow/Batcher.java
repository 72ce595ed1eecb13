package dev.loomstep.devserver.flow;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.devserver.expr.CelCompiler;
import dev.loomstep.flow.BatchEvents;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Event batching ({@code batchEvents: {maxSize, timeout, key, if}}): gathers events per key into one
 * run. A batch opens with its first event and is handed over as soon as it holds {@code maxSize}
 * events ({@link Full} from {@link #add}), or when {@code timeout} has passed since it opened
 * ({@link #takeDue()}), with whatever it holds then. Events for which the optional {@code if}
 * (CEL over {@code event}) is not true are not batched: they run alone, at once ({@link Unbatched}).
 *
 * <pre>{@code
 * switch (batcher.add(fnId, fn.batchEvents(), eventJson)) {
 *     case Batcher.Full full -> startRun(fnId, full.batch().events());
 *     case Batcher.Added added -> timer.wakeAt(added.dueAt());
 *     case Batcher.Unbatched u -> startRun(fnId, List.of(eventJson));
 * }
 * for (Batcher.Batch b : batcher.takeDue()) startRun(b.functionId(), b.events());
 * }</pre>
 *
 * Thread-safe.
 */
public final class Batcher {
    /** A closed batch: the events, oldest first, of one run. */
    public record Batch(String functionId, String key, List<JsonNode> events, Instant openedAt) {
        public Batch {
            events = List.copyOf(events);
        }
    }

    /** What {@link #add} did with an event. */
    public sealed interface Outcome permits Added, Full, Unbatched {}

    /** The event joined an open batch, which now holds {@code size} events and closes at {@code dueAt}. */
    public record Added(String key, int size, Instant dueAt) implements Outcome {}

    /** The event filled the batch: start its run now. */
    public record Full(Batch batch) implements Outcome {}

    /** The batch {@code if} is not true for this event: run it on its own, now. */
    public record Unbatched() implements Outcome {}

    private static final Unbatched UNBATCHED = new Unbatched();

    private final InstantSource clock;
    private final ReentrantLock lock = new ReentrantLock();
    private final Map<String, Open> open = new HashMap<>();

    public Batcher(InstantSource clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * Adds an event to its key's batch, opening one if needed.
     *
     * @throws IllegalArgumentException when the config is invalid (see {@link #validate})
     */
    public Outcome add(String functionId, BatchEvents config, JsonNode event) {
        validate(config);
        if (config.ifExpression() != null && !config.ifExpression().isBlank()
                && !CelCompiler.compile(config.ifExpression()).matches(event)) {
            return UNBATCHED;
        }
        String key = FlowKeys.scoped(functionId, config.key(), event);
        Instant now = clock.instant();
        lock.lock();
        try {
            Open batch = open.computeIfAbsent(key, k -> new Open(functionId, k, now, now.plus(config.timeout())));
            batch.events.add(event);
            if (batch.events.size() >= config.maxSize()) {
                open.remove(key);
                return new Full(batch.close());
            }
            return new Added(key, batch.events.size(), batch.dueAt);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Opens a batch saved earlier (start-up) with its events, unless its key already has an open batch;
     * it closes at {@code dueAt} as it would have.
     */
    public void restore(String functionId, String key, List<JsonNode> events, Instant openedAt, Instant dueAt) {
        lock.lock();
        try {
            open.computeIfAbsent(key, k -> {
                Open batch = new Open(functionId, k, openedAt, dueAt);
                batch.events.addAll(events);
                return batch;
            });
        } finally {
            lock.unlock();
        }
    }

    /** The open batch of a function-scoped key as it stands now (its events and when it opened), if any. */
    public Optional<Batch> peek(String key) {
        lock.lock();
        try {
            Open b = open.get(key);
            return b == null ? Optional.empty() : Optional.of(b.close());
        } finally {
            lock.unlock();
        }
    }

    /** Removes and returns every batch whose timeout has passed, oldest first. */
    public List<Batch> takeDue() {
        Instant now = clock.instant();
        lock.lock();
        try {
            List<Open> due = new ArrayList<>();
            open.values().removeIf(b -> {
                if (b.dueAt.isAfter(now)) {
                    return false;
                }
                due.add(b);
                return true;
            });
            due.sort(Comparator.comparing(b -> b.dueAt));
            return due.stream().map(Open::close).toList();
        } finally {
            lock.unlock();
        }
    }

    /** When the earliest open batch times out, if any is open. */
    public Optional<Instant> nextDue() {
        lock.lock();
        try {
            return open.values().stream().map(b -> b.dueAt).min(Comparator.naturalOrder());
        } finally {
            lock.unlock();
        }
    }

    /** An open batch as it stands: its events so far, oldest first, and when it closes at the latest. */
    public record OpenBatch(String functionId, String key, List<JsonNode> events, Instant dueAt) {
        public OpenBatch {
            events = List.copyOf(events);
        }
    }

    /** Every open batch, soonest due first (for the REST API). */
    public List<OpenBatch> openBatches() {
        lock.lock();
        try {
            return open.values().stream().map(b -> new OpenBatch(b.functionId, b.key, b.events, b.dueAt))
                    .sorted(java.util.Comparator.comparing(OpenBatch::dueAt)).toList();
        } finally {
            lock.unlock();
        }
    }

    /** How many events the open batch of a function-scoped key holds (0 when none is open). */
    public int openSize(String key) {
        lock.lock();
        try {
            Open b = open.get(key);
            return b == null ? 0 : b.events.size();
        } finally {
            lock.unlock();
        }
    }

    /** Closes and returns the open batches of a function (removed, or re-synced with a new config). */
    public List<Batch> removeFunction(String functionId) {
        lock.lock();
        try {
            List<Batch> removed = new ArrayList<>();
            open.values().removeIf(b -> {
                if (!b.functionId.equals(functionId)) {
                    return false;
                }
                removed.add(b.close());
                return true;
            });
            return removed;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Checks a config as Inngest does: {@code maxSize} of at least 2, a timeout of at least 1 s, and
     * {@code key} and {@code if} that compile.
     *
     * @throws IllegalArgumentException with a one-line message
     */
    public static void validate(BatchEvents config) {
        Objects.requireNonNull(config, "batchEvents");
        if (config.maxSize() < 2) {
            throw new IllegalArgumentException("invalid batchEvents: maxSize must be at least 2, got " + config.maxSize());
        }
        if (config.timeout() == null || config.timeout().compareTo(Duration.ofSeconds(1)) < 0) {
            throw new IllegalArgumentException("invalid batchEvents: timeout must be at least 1s, got " + RateLimiter.describe(config.timeout()));
        }
        if (config.key() != null && !config.key().isBlank()) {
            CelCompiler.validate(config.key());
        }
        if (config.ifExpression() != null && !config.ifExpression().isBlank()) {
            CelCompiler.validate(config.ifExpression());
        }
    }

    private static final class Open {
        final String functionId;
        final String key;
        final Instant openedAt;
        final Instant dueAt;
        final List<JsonNode> events = new ArrayList<>();

        Open(String functionId, String key, Instant openedAt, Instant dueAt) {
            this.functionId = functionId;
            this.key = key;
            this.openedAt = openedAt;
            this.dueAt = dueAt;
        }

        Batch close() {
            return new Batch(functionId, key, events, openedAt);
        }
    }
}
