package dev.loomstep.devserver.flow;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Event;
import dev.loomstep.devserver.store.FlowWindow;
import dev.loomstep.devserver.store.FunctionRecord;
import dev.loomstep.devserver.store.HeldEvents;
import dev.loomstep.devserver.store.RunRecord;
import dev.loomstep.devserver.store.Store;
import dev.loomstep.protocol.Json;
import dev.loomstep.protocol.SyncRequest.FunctionConfig;
import dev.loomstep.protocol.TimeStrings;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ThreadLocalRandom;

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
 * <p>This class decides admission and per-call limits; the held debounces and batches live in
 * {@link HeldRuns}, the timeout timers in {@link TimeoutTimers}, both on one {@link FlowTimer}.
 *
 * <p>Durability, once {@linkplain #attach(RunStarter, RunCanceller, Store) attached to a store}: held
 * debounces and open batches, idempotency claims and rate-limit and throttle windows are written to the
 * store inside the unit of work that saves the event which changed them, and a held run is started in
 * the unit that deletes its held events, so a kill at any moment neither loses nor repeats one. The
 * limiters keep a working copy in memory, reloaded from the store at start-up; a debounce or batch
 * that fell due while the devserver was down starts at once. Singleton holders, run timeouts and
 * concurrency need no saved state of their own: they are derived at start-up from the runs still
 * running (their events and durable timestamps), and no call is in flight after a restart, so every
 * concurrency slot is free. Held runs are started by a timer. Thread-safe.
 */
public final class ConfiguredFlowControl implements FlowControl, AutoCloseable {
    /** How long a call waits, at least, before asking again for a concurrency slot. */
    static final long CONCURRENCY_RETRY_MILLIS = 20;
    /** How long held events whose run could not be started wait before the next try. */
    static final Duration HELD_RETRY = Duration.ofSeconds(5);

    private final InstantSource clock;
    private final RateLimiter rateLimiter;
    private final Throttler throttler;
    private final ConcurrencyLimiter concurrency = new ConcurrencyLimiter();
    private final IdempotencyGuard idempotency;
    private final SingletonGuard singletons = new SingletonGuard();
    private final FlowJournal journal;
    private final FlowTimer timer;
    private final HeldRuns held;
    private final TimeoutTimers timeouts;

    /** Concurrency leases of the calls in flight, per run (a fan-out has several). */
    private final Map<String, Deque<ConcurrencyLimiter.Lease>> leases = new ConcurrentHashMap<>();
    /** Singleton holder token ({@code fnId|eventId}) to the run holding it. */
    private final Map<String, String> singletonRuns = new ConcurrentHashMap<>();

    private volatile RunCanceller canceller;

    public ConfiguredFlowControl() {
        this(Clock.systemUTC());
    }

    /** With another time source (the limiters read it; timers still use real delays). */
    public ConfiguredFlowControl(InstantSource clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
        this.journal = new FlowJournal(clock);
        this.rateLimiter = new RateLimiter(clock, (key, tat) -> journal.gcra(FlowWindow.RATE_LIMIT, key, tat));
        this.throttler = new Throttler(clock, (key, tat) -> journal.gcra(FlowWindow.THROTTLE, key, tat));
        this.idempotency = new IdempotencyGuard(clock);
        this.timer = new FlowTimer(clock);
        this.held = new HeldRuns(clock, journal, timer);
        this.timeouts = new TimeoutTimers(clock, timer, this::cancel);
    }

    @Override
    public void attach(RunStarter runStarter) {
        attach(runStarter, (runId, reason) -> false);
    }

    @Override
    public synchronized void attach(RunStarter runStarter, RunCanceller runCanceller) {
        held.attach(Objects.requireNonNull(runStarter, "starter"));
        this.canceller = Objects.requireNonNull(runCanceller, "canceller");
        timer.start();
    }

    /**
     * Attaches, then takes up what an earlier process left in {@code store}: held debounces and open
     * batches (those already due start at once), unexpired idempotency claims and rate-limit and
     * throttle windows, and the singleton keys and timeout timers of the runs still running.
     */
    @Override
    public synchronized void attach(RunStarter runStarter, RunCanceller runCanceller, Store store) {
        attach(runStarter, runCanceller);
        journal.open(Objects.requireNonNull(store, "store"));
        new FlowRestore(this, store, clock).run();
    }

    @Override
    public List<Held> held(String functionId) {
        return held.held(functionId);
    }

    // ---------------------------------------------------------------- admission

    @Override
    public Admission admit(FunctionRecord function, List<Event> events, Instant now) {
        FunctionConfig config = function.config();
        Event first = events.get(0);
        JsonNode event = Json.toTree(first);
        String fnId = function.id();

        if (config.rateLimit() != null) {
            if (!rateLimiter.allow(fnId, config.rateLimit(), event)) {
                return new Admission.Skip("rate limited (" + config.rateLimit().limit() + " per "
                        + TimeStrings.format(config.rateLimit().period()) + ")");
            }
            // The start is counted in memory at once; an event whose unit rolls back was never
            // accepted, so its sender's retry must find the start still free.
            journal.onRollback(() -> rateLimiter.giveBack(fnId, config.rateLimit(), event));
        }
        if (config.idempotency() != null && !config.idempotency().isBlank()) {
            String key = FlowKeys.scoped(fnId, config.idempotency(), event);
            // With a store, the claim is decided there, in this event's unit: a claim whose unit rolls
            // back (the event was not saved) must not make the event's retry a duplicate.
            Boolean durable = journal.claim(FlowWindow.IDEMPOTENCY, key, now, now.plus(idempotency.window()));
            boolean claimed = durable != null ? durable : idempotency.tryClaimKey(key);
            if (!claimed) {
                return new Admission.Skip("an event with the same idempotency key (" + config.idempotency()
                        + ") started a run in the last 24h");
            }
        }
        // An invocation waits for its run: it is never held back by debounce or batching.
        boolean invoked = "inngest/function.invoked".equals(first.name());
        if (config.debounce() != null && !invoked) {
            return held.debounce(fnId, config.debounce(), event, now);
        }
        if (config.batchEvents() != null && !invoked && events.size() == 1) {
            Optional<Admission> batched = held.batch(fnId, config.batchEvents(), event);
            if (batched.isPresent()) {
                return batched.get();
            }
            // else the batch "if" is false for this event: it runs alone, now
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
            journal.onRollback(() -> throttler.giveBack(fnId, config.throttle(), event));
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
        timeouts.runCreated(run, config.timeouts());
    }

    // ---------------------------------------------------------------- calls

    @Override
    public Duration beforeCall(FunctionRecord function, RunRecord run) {
        FunctionConfig config = function.config();
        Instant now = clock.instant();
        if (timeouts.expired(run, config.timeouts(), now)) {
            return Duration.ofSeconds(1); // the run is over; its item is gone
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
            timeouts.callLetThrough(run, config.timeouts(), now);
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
        timeouts.runFinished(run.id());
        // Concurrency leases of calls still in flight are given back by their afterCall: the SDK is
        // still working on them, so they still count against the limit.
    }

    // ---------------------------------------------------------------- start-up (FlowRestore)

    /** Puts back a saved window; false for a kind this version does not know. */
    boolean restoreWindow(FlowWindow w) {
        switch (w.kind()) {
            case FlowWindow.IDEMPOTENCY -> {
                // nothing to put back: with a store, claims are decided in the store (see admit)
            }
            case FlowWindow.RATE_LIMIT -> rateLimiter.restore(w.key(), w.value());
            case FlowWindow.THROTTLE -> throttler.restore(w.key(), w.value());
            default -> {
                return false;
            }
        }
        return true;
    }

    /** Holds saved events again and wakes up when they are due (at once when overdue); false for an unknown kind. */
    boolean restoreHeld(HeldEvents h) {
        return held.restore(h);
    }

    /** A run still running at start-up: it holds its singleton key again, and its timeouts are timed again. */
    void restoreRun(FunctionRecord function, RunRecord run) {
        FunctionConfig config = function.config();
        if (config.singleton() != null && run.event() != null) {
            JsonNode event = Json.toTree(run.event());
            if (!FlowKeys.isFalse(config.singleton().key(), event)) {
                String token = singletonToken(function.id(), run.eventId());
                singletons.restore(FlowKeys.scoped(function.id(), config.singleton().key(), event), token);
                singletonRuns.put(token, run.id());
            }
        }
        timeouts.restore(run, config.timeouts());
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

    private void cancel(String runId, String reason) {
        RunCanceller c = canceller;
        if (c != null && !timer.closed()) {
            c.cancel(runId, reason);
        }
    }

    private static String singletonToken(String functionId, String eventId) {
        return functionId + '|' + eventId;
    }

    /**
     * Stops the timer. Held debounces and open batches stay in the store, when attached to one, and
     * fire at the next start; without a store they are dropped.
     */
    @Override
    public void close() {
        timer.close();
    }
}
