package dev.loomstep.devserver.flow;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Event;
import dev.loomstep.devserver.store.FunctionRecord;
import dev.loomstep.devserver.store.RunRecord;
import dev.loomstep.flow.Timeouts;
import dev.loomstep.protocol.Json;
import dev.loomstep.protocol.SyncRequest.FunctionConfig;
import dev.loomstep.protocol.TimeStrings;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The devserver's flow control: applies each synced function's config through the decisions of
 * {@code dev.loomstep.devserver.flow}.
 *
 * <ul>
 *   <li>Admission, in this order: {@code rateLimit} (over the limit: no run), {@code idempotency}
 *       (a key seen in the last 24 h: no run), {@code debounce} (held; the last event runs once the
 *       period is quiet), {@code batchEvents} (held; a full batch starts at once, a partial one at its
 *       timeout), {@code singleton} (skip, or cancel the running run), then {@code throttle} (the run is
 *       queued at its reserved slot) and {@code priority} (the first call is queued that many seconds
 *       earlier, or later when negative).
 *   <li>Per call: {@code concurrency} leases are taken before each SDK call and given back after it;
 *       a call that finds no room goes back in the queue for a few tens of milliseconds.
 *   <li>Timeouts: {@code timeouts.start} cancels a run whose first call has not been made in time,
 *       {@code timeouts.finish} one that has not ended in time after its first call.
 * </ul>
 *
 * <p>All limiter state (rate-limit and throttle windows, idempotency keys, singleton holders,
 * concurrency leases, held debounces and open batches) lives in memory: a restart forgets it. Runs
 * already created are durable queue items, so throttled and prioritised runs keep their start times;
 * timeouts are re-derived from the run's durable timestamps on its next call. Held runs are started on
 * virtual threads by a timer. Thread-safe.
 */
public final class ConfiguredFlowControl implements FlowControl, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ConfiguredFlowControl.class);

    /** How long a call waits, at least, before asking again for a concurrency slot. */
    static final long CONCURRENCY_RETRY_MILLIS = 20;

    private final InstantSource clock;
    private final RateLimiter rateLimiter;
    private final Throttler throttler;
    private final Debouncer debouncer;
    private final Batcher batcher;
    private final ConcurrencyLimiter concurrency = new ConcurrencyLimiter();
    private final IdempotencyGuard idempotency;
    private final SingletonGuard singletons = new SingletonGuard();

    /** Concurrency leases of the calls in flight, per run (a fan-out has several). */
    private final Map<String, Deque<ConcurrencyLimiter.Lease>> leases = new ConcurrentHashMap<>();
    /** Singleton holder token ({@code fnId|eventId}) to the run holding it. */
    private final Map<String, String> singletonRuns = new ConcurrentHashMap<>();
    /** Runs whose first call has been let through. */
    private final Set<String> started = ConcurrentHashMap.newKeySet();
    /** Start/finish timeout timers per run, cancelled when the run ends. */
    private final Map<String, List<ScheduledFuture<?>>> timers = new ConcurrentHashMap<>();

    private volatile RunStarter starter;
    private volatile RunCanceller canceller;
    private volatile ScheduledExecutorService timer;
    private volatile boolean closed;

    public ConfiguredFlowControl() {
        this(Clock.systemUTC());
    }

    /** With another time source (the limiters read it; timers still use real delays). */
    public ConfiguredFlowControl(InstantSource clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
        this.rateLimiter = new RateLimiter(clock);
        this.throttler = new Throttler(clock);
        this.debouncer = new Debouncer(clock);
        this.batcher = new Batcher(clock);
        this.idempotency = new IdempotencyGuard(clock);
    }

    @Override
    public void attach(RunStarter runStarter) {
        attach(runStarter, (runId, reason) -> false);
    }

    @Override
    public synchronized void attach(RunStarter runStarter, RunCanceller runCanceller) {
        this.starter = Objects.requireNonNull(runStarter, "starter");
        this.canceller = Objects.requireNonNull(runCanceller, "canceller");
        if (timer == null) {
            timer = Executors.newSingleThreadScheduledExecutor(Thread.ofVirtual().name("loomstep-dev-flow-timer").factory());
        }
    }

    @Override
    public List<Held> held(String functionId) {
        var out = new java.util.ArrayList<Held>();
        for (Debouncer.Pending p : debouncer.pending()) {
            if (p.functionId().equals(functionId)) {
                out.add(new Held("debounce", p.key(), List.of(p.event().path("id").asText()), p.fireAt()));
            }
        }
        for (Batcher.OpenBatch b : batcher.openBatches()) {
            if (b.functionId().equals(functionId)) {
                out.add(new Held("batch", b.key(), b.events().stream().map(e -> e.path("id").asText()).toList(), b.dueAt()));
            }
        }
        return out;
    }

    // ---------------------------------------------------------------- admission

    @Override
    public Admission admit(FunctionRecord function, List<Event> events, Instant now) {
        FunctionConfig config = function.config();
        Event first = events.get(0);
        JsonNode event = Json.toTree(first);
        String fnId = function.id();

        if (config.rateLimit() != null && !rateLimiter.allow(fnId, config.rateLimit(), event)) {
            return new Admission.Skip("rate limited (" + config.rateLimit().limit() + " per "
                    + TimeStrings.format(config.rateLimit().period()) + ")");
        }
        if (config.idempotency() != null && !config.idempotency().isBlank()
                && !idempotency.tryClaim(fnId, config.idempotency(), event)) {
            return new Admission.Skip("an event with the same idempotency key (" + config.idempotency()
                    + ") started a run in the last 24h");
        }
        // An invocation waits for its run: it is never held back by debounce or batching.
        boolean invoked = "inngest/function.invoked".equals(first.name());
        if (config.debounce() != null && !invoked) {
            Debouncer.Pending pending = debouncer.offer(fnId, config.debounce(), event);
            wakeAt(pending.fireAt());
            return new Admission.Held("debounced until " + pending.fireAt());
        }
        if (config.batchEvents() != null && !invoked && events.size() == 1) {
            switch (batcher.add(fnId, config.batchEvents(), event)) {
                case Batcher.Full full -> {
                    String runId = startHeld(fnId, full.batch().events());
                    return new Admission.Held("batch full: run " + runId + " started with " + full.batch().events().size() + " events");
                }
                case Batcher.Added added -> {
                    wakeAt(added.dueAt());
                    return new Admission.Held("batched (" + added.size() + " of " + config.batchEvents().maxSize()
                            + ") until " + added.dueAt());
                }
                case Batcher.Unbatched unbatched -> {
                    // the batch "if" is false for this event: it runs alone, now
                }
            }
        }
        if (config.singleton() != null) {
            String token = singletonToken(fnId, first.id());
            switch (singletons.admit(fnId, config.singleton(), event, token)) {
                case SingletonGuard.Skip skip -> {
                    return new Admission.Skip("singleton: run " + singletonRuns.getOrDefault(skip.runningRunId(), "?")
                            + " is running for this key");
                }
                case SingletonGuard.CancelRunning cancel -> {
                    String running = singletonRuns.remove(cancel.runningRunId());
                    if (running != null) {
                        cancel(running, "cancelled by singleton: a new run (event " + first.id() + ") replaced it");
                    }
                }
                case SingletonGuard.Start start -> {
                    // holds the key (or the singleton does not apply to this event)
                }
            }
        }
        Instant at = now;
        boolean throttled = false;
        if (config.throttle() != null) {
            Duration wait = throttler.reserve(fnId, config.throttle(), event);
            throttled = wait.isPositive();
            at = now.plus(wait);
        }
        if (config.priority() != null) {
            long offset = Priorities.offsetSeconds(config.priority(), event);
            // A positive priority moves the run ahead of other queued work, but never ahead of its throttle slot.
            if (offset < 0 || !throttled) {
                at = at.minusSeconds(offset);
            }
        }
        return new Admission.Start(at);
    }

    @Override
    public void runCreated(FunctionRecord function, RunRecord run) {
        FunctionConfig config = function.config();
        if (config.singleton() != null) {
            singletonRuns.put(singletonToken(function.id(), run.eventId()), run.id());
        }
        Timeouts timeouts = config.timeouts();
        if (timeouts != null && timeouts.start() != null) {
            Instant deadline = RunTimeouts.startDeadline(timeouts, Instant.ofEpochMilli(run.createdAt())).orElseThrow();
            schedule(run.id(), deadline, () -> {
                if (!started.contains(run.id())) {
                    cancel(run.id(), "the run did not start within " + TimeStrings.format(timeouts.start()) + " (timeouts.start)");
                }
            });
        }
    }

    // ---------------------------------------------------------------- calls

    @Override
    public Duration beforeCall(FunctionRecord function, RunRecord run) {
        FunctionConfig config = function.config();
        Timeouts timeouts = config.timeouts();
        Instant now = clock.instant();
        if (timeouts != null && !started.contains(run.id())) {
            // Deadlines from the run's durable timestamps: they hold after a restart, too.
            if (run.startedAt() == null && RunTimeouts.startExpired(timeouts, Instant.ofEpochMilli(run.createdAt()), now)) {
                cancel(run.id(), "the run did not start within " + TimeStrings.format(timeouts.start()) + " (timeouts.start)");
                return Duration.ofSeconds(1); // the run is over; its item is gone
            }
            Instant startedAt = run.startedAt() == null ? now : Instant.ofEpochMilli(run.startedAt());
            if (RunTimeouts.finishExpired(timeouts, startedAt, now)) {
                cancel(run.id(), finishMessage(timeouts));
                return Duration.ofSeconds(1);
            }
        }
        List<ConcurrencyLimiter.Slot> slots = config.concurrency() == null || config.concurrency().isEmpty()
                ? List.of() : ConcurrencyLimiter.slots(function.id(), config.concurrency(), Json.toTree(run.event()));
        if (!slots.isEmpty()) {
            var lease = concurrency.tryAcquire(slots);
            if (lease.isEmpty()) {
                return Duration.ofMillis(CONCURRENCY_RETRY_MILLIS + ThreadLocalRandom.current().nextLong(CONCURRENCY_RETRY_MILLIS));
            }
            leases.computeIfAbsent(run.id(), k -> new ConcurrentLinkedDeque<>()).add(lease.get());
        }
        try {
            if (started.add(run.id()) && timeouts != null && timeouts.finish() != null) {
                Instant startedAt = run.startedAt() == null ? now : Instant.ofEpochMilli(run.startedAt());
                schedule(run.id(), RunTimeouts.finishDeadline(timeouts, startedAt).orElseThrow(),
                        () -> cancel(run.id(), finishMessage(timeouts)));
            }
        } catch (RuntimeException e) {
            if (!slots.isEmpty()) {
                releaseOne(run.id()); // no afterCall follows a beforeCall that throws
            }
            throw e;
        }
        return Duration.ZERO;
    }

    @Override
    public void afterCall(FunctionRecord function, RunRecord run) {
        releaseOne(run.id());
    }

    @Override
    public void runFinished(FunctionRecord function, RunRecord run) {
        String token = singletonToken(function.id(), run.eventId());
        singletons.release(token);
        singletonRuns.remove(token, run.id());
        started.remove(run.id());
        List<ScheduledFuture<?>> pending = timers.remove(run.id());
        if (pending != null) {
            pending.forEach(f -> f.cancel(false));
        }
        // Concurrency leases of calls still in flight are given back by their afterCall: the SDK is
        // still working on them, so they still count against the limit.
    }

    /** How many concurrency leases a key holds now (for tests and diagnostics). */
    int leasesInUse(String key) {
        return concurrency.inUse(key);
    }

    private void releaseOne(String runId) {
        Deque<ConcurrencyLimiter.Lease> held = leases.get(runId);
        if (held == null) {
            return;
        }
        ConcurrencyLimiter.Lease lease = held.poll();
        if (lease != null) {
            lease.release();
        }
        leases.computeIfPresent(runId, (k, d) -> d.isEmpty() ? null : d);
    }

    // ---------------------------------------------------------------- held runs and timers

    /** Starts every debounce and batch that is due; reschedules itself for the next one. */
    private void fireDue() {
        if (closed) {
            return;
        }
        for (Debouncer.Pending p : debouncer.takeDue()) {
            startHeld(p.functionId(), List.of(p.event()));
        }
        for (Batcher.Batch b : batcher.takeDue()) {
            startHeld(b.functionId(), b.events());
        }
    }

    private String startHeld(String functionId, List<JsonNode> events) {
        RunStarter s = starter;
        if (s == null) {
            LOG.warn("function {}: {} held event(s) dropped: the flow control is not attached", functionId, events.size());
            return null;
        }
        try {
            List<Event> list = new ArrayList<>(events.size());
            for (JsonNode e : events) {
                list.add(Json.mapper().treeToValue(e, Event.class));
            }
            String runId = s.start(functionId, list);
            if (runId == null) {
                LOG.warn("function {} is no longer synced; {} held event(s) start no run", functionId, events.size());
            }
            return runId;
        } catch (Exception e) {
            if (!closed) {
                LOG.error("function {}: could not start the run of {} held event(s)", functionId, events.size(), e);
            }
            return null;
        }
    }

    private void wakeAt(Instant at) {
        ScheduledExecutorService t = timer;
        if (t == null || closed) {
            return;
        }
        long delay = Math.max(0, Duration.between(clock.instant(), at).toMillis()) + 1;
        t.schedule(this::fireDue, delay, TimeUnit.MILLISECONDS);
    }

    private void schedule(String runId, Instant at, Runnable task) {
        ScheduledExecutorService t = timer;
        if (t == null || closed) {
            return;
        }
        long delay = Math.max(0, Duration.between(clock.instant(), at).toMillis());
        ScheduledFuture<?> f = t.schedule(() -> {
            try {
                task.run();
            } catch (RuntimeException e) {
                if (!closed) {
                    LOG.error("run {}: a flow-control timer failed", runId, e);
                }
            }
        }, delay, TimeUnit.MILLISECONDS);
        timers.computeIfAbsent(runId, k -> new CopyOnWriteArrayList<>()).add(f);
    }

    private void cancel(String runId, String reason) {
        RunCanceller c = canceller;
        if (c != null && !closed) {
            c.cancel(runId, reason);
        }
    }

    private static String finishMessage(Timeouts timeouts) {
        return "the run did not finish within " + TimeStrings.format(timeouts.finish()) + " of its start (timeouts.finish)";
    }

    private static String singletonToken(String functionId, String eventId) {
        return functionId + '|' + eventId;
    }

    /** Stops the timer; held debounces and open batches are dropped (they live in memory only). */
    @Override
    public void close() {
        closed = true;
        ScheduledExecutorService t = timer;
        if (t != null) {
            t.shutdownNow();
        }
    }
}
