package dev.loomstep.devserver.flow;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Event;
import dev.loomstep.devserver.store.FlowWindow;
import dev.loomstep.devserver.store.FunctionRecord;
import dev.loomstep.devserver.store.HeldEvents;
import dev.loomstep.devserver.store.RunRecord;
import dev.loomstep.devserver.store.Store;
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
    private static final Logger LOG = LoggerFactory.getLogger(ConfiguredFlowControl.class);

    /** How long a call waits, at least, before asking again for a concurrency slot. */
    static final long CONCURRENCY_RETRY_MILLIS = 20;
    /** How long held events whose run could not be started wait before the next try. */
    static final Duration HELD_RETRY = Duration.ofSeconds(5);

    private final InstantSource clock;
    private final RateLimiter rateLimiter;
    private final Throttler throttler;
    private final Debouncer debouncer;
    private final Batcher batcher;
    private final ConcurrencyLimiter concurrency = new ConcurrencyLimiter();
    private final IdempotencyGuard idempotency;
    private final SingletonGuard singletons = new SingletonGuard();
    private final FlowJournal journal;

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
        this.journal = new FlowJournal(clock);
        this.rateLimiter = new RateLimiter(clock, (key, tat) -> journal.gcra(FlowWindow.RATE_LIMIT, key, tat));
        this.throttler = new Throttler(clock, (key, tat) -> journal.gcra(FlowWindow.THROTTLE, key, tat));
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
            Debouncer.Pending pending = debouncer.offer(fnId, config.debounce(), event);
            journal.hold(new HeldEvents(HeldEvents.DEBOUNCE, pending.key(), fnId, List.of(pending.event()),
                    pending.firstAt().toEpochMilli(), pending.fireAt().toEpochMilli()));
            wakeAt(pending.fireAt());
            return new Admission.Held("debounced until " + pending.fireAt());
        }
        if (config.batchEvents() != null && !invoked && events.size() == 1) {
            switch (batcher.add(fnId, config.batchEvents(), event)) {
                case Batcher.Full full -> {
                    List<JsonNode> batch = committedBatch(full.batch(), event);
                    String runId = startHeld(fnId, batch);
                    return new Admission.Held("batch full: run " + runId + " started with " + batch.size() + " events");
                }
                case Batcher.Added added -> {
                    batcher.peek(added.key()).ifPresent(open -> journal.hold(new HeldEvents(HeldEvents.BATCH, open.key(), fnId,
                            open.events(), open.openedAt().toEpochMilli(), added.dueAt().toEpochMilli())));
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

    /**
     * The events of a batch that {@code event} filled: with a store, those committed for it (deleted
     * here, in this event's unit) and {@code event}, so an event whose own unit rolled back is never in
     * the run; without one, the batch as held in memory.
     */
    private List<JsonNode> committedBatch(Batcher.Batch full, JsonNode event) {
        if (journal.store() == null) {
            return full.events();
        }
        List<JsonNode> events = new ArrayList<>();
        journal.take(HeldEvents.BATCH, full.key()).ifPresent(held -> events.addAll(held.events()));
        events.add(event);
        return events;
    }

    @Override
    public void runCreated(FunctionRecord function, RunRecord run) {
        FunctionConfig config = function.config();
        if (config.singleton() != null) {
            singletonRuns.put(singletonToken(function.id(), run.eventId()), run.id());
        }
        scheduleStartTimeout(run, config.timeouts());
    }

    private void scheduleStartTimeout(RunRecord run, Timeouts timeouts) {
        if (timeouts != null && timeouts.start() != null) {
            Instant deadline = RunTimeouts.startDeadline(timeouts, Instant.ofEpochMilli(run.createdAt())).orElseThrow();
            schedule(run.id(), deadline, () -> {
                if (!started.contains(run.id())) {
                    cancel(run.id(), "the run did not start within " + TimeStrings.format(timeouts.start()) + " (timeouts.start)");
                }
            });
        }
    }

    private void scheduleFinishTimeout(String runId, Timeouts timeouts, Instant startedAt) {
        if (timeouts != null && timeouts.finish() != null) {
            schedule(runId, RunTimeouts.finishDeadline(timeouts, startedAt).orElseThrow(),
                    () -> cancel(runId, finishMessage(timeouts)));
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
            if (started.add(run.id())) {
                scheduleFinishTimeout(run.id(), timeouts, run.startedAt() == null ? now : Instant.ofEpochMilli(run.startedAt()));
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
        if (h.events().isEmpty()) {
            return false;
        }
        Instant firstAt = Instant.ofEpochMilli(h.firstAt());
        Instant dueAt = Instant.ofEpochMilli(h.dueAt());
        switch (h.kind()) {
            case HeldEvents.DEBOUNCE -> debouncer.restore(new Debouncer.Pending(h.functionId(), h.key(),
                    h.events().get(h.events().size() - 1), firstAt, dueAt));
            case HeldEvents.BATCH -> batcher.restore(h.functionId(), h.key(), h.events(), firstAt, dueAt);
            default -> {
                return false;
            }
        }
        wakeAt(dueAt);
        return true;
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
        Timeouts timeouts = config.timeouts();
        if (run.startedAt() == null) {
            scheduleStartTimeout(run, timeouts);
        } else if (started.add(run.id())) {
            scheduleFinishTimeout(run.id(), timeouts, Instant.ofEpochMilli(run.startedAt()));
        }
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

    /** Starts every debounce and batch that is due. */
    private void fireDue() {
        if (closed) {
            return;
        }
        Store store = journal.store();
        if (store == null) {
            for (Debouncer.Pending p : debouncer.takeDue()) {
                startHeld(p.functionId(), List.of(p.event()));
            }
            for (Batcher.Batch b : batcher.takeDue()) {
                startHeld(b.functionId(), b.events());
            }
            return;
        }
        Instant now = clock.instant();
        boolean due = debouncer.nextDue().map(at -> !at.isAfter(now)).orElse(false)
                || batcher.nextDue().map(at -> !at.isAfter(now)).orElse(false);
        if (!due) {
            return; // a wake-up for a holding that was replaced, pushed back or already started: no unit for nothing
        }
        // In one unit of the writer, which also runs every admission: taking the due holdings from
        // memory, deleting them from the store and starting their runs is one step, so no event can
        // slip between them, and a kill leaves either the holding or the run, never both or neither.
        var taken = new ArrayList<Runnable>(); // how to put back what was taken, if the unit fails
        try {
            store.txRun(() -> {
                for (Debouncer.Pending p : debouncer.takeDue()) {
                    taken.add(() -> debouncer.restore(p));
                    startCommitted(HeldEvents.DEBOUNCE, p.key(), p.functionId());
                }
                for (Batcher.Batch b : batcher.takeDue()) {
                    taken.add(() -> batcher.restore(b.functionId(), b.key(), b.events(), b.openedAt(), clock.instant()));
                    startCommitted(HeldEvents.BATCH, b.key(), b.functionId());
                }
            });
        } catch (RuntimeException e) {
            if (closed) {
                return; // the holdings are still in the store: the next start fires them
            }
            LOG.error("{} held debounce(s) or batch(es) could not start their runs; trying again in {}",
                    taken.size(), TimeStrings.format(HELD_RETRY), e);
            taken.forEach(Runnable::run);
            wakeAt(clock.instant().plus(HELD_RETRY));
        }
    }

    /**
     * Starts the run of a key's holding as committed in the store (not as held in memory, which may
     * include events of a unit that was rolled back), deleting it in the same unit.
     */
    private void startCommitted(String kind, String key, String functionId) {
        HeldEvents held = journal.take(kind, key).orElse(null);
        if (held == null) {
            LOG.debug("function {}: {} {} holds no committed event; no run", functionId, kind, key);
            return;
        }
        RunStarter s = starter;
        String runId = s == null ? null : s.start(held.functionId(), toEvents(held.events()));
        if (runId == null) {
            LOG.warn("function {} is no longer synced; {} held event(s) start no run", held.functionId(), held.events().size());
        }
    }

    private String startHeld(String functionId, List<JsonNode> events) {
        RunStarter s = starter;
        if (s == null) {
            LOG.warn("function {}: {} held event(s) dropped: the flow control is not attached", functionId, events.size());
            return null;
        }
        try {
            String runId = s.start(functionId, toEvents(events));
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

    private static List<Event> toEvents(List<JsonNode> events) {
        List<Event> list = new ArrayList<>(events.size());
        for (JsonNode e : events) {
            try {
                list.add(Json.mapper().treeToValue(e, Event.class));
            } catch (com.fasterxml.jackson.core.JsonProcessingException ex) {
                throw new IllegalStateException("a held event is not an event: " + ex.getOriginalMessage(), ex);
            }
        }
        return list;
    }

    void wakeAt(Instant at) {
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

    /**
     * Stops the timer. Held debounces and open batches stay in the store, when attached to one, and
     * fire at the next start; without a store they are dropped.
     */
    @Override
    public void close() {
        closed = true;
        ScheduledExecutorService t = timer;
        if (t != null) {
            t.shutdownNow();
        }
    }
}
