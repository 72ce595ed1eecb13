package dev.loomstep.devserver.queue;

import dev.loomstep.devserver.store.QueueItem;
import dev.loomstep.devserver.store.QueueItem.Kind;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The in-memory schedule of the durable queue: items (already saved in the store) wait here until due,
 * then run on virtual threads. The rows stay in the database until their handler deletes them, so a
 * restart re-queues whatever was pending or in flight.
 *
 * <p>Per run it enforces the executor's ordering: a discovery call ({@code stepId=step}) never overlaps
 * any other call of its run and waits until every targeted step call of the run (running or waiting for
 * a retry) is done; targeted step calls of a parallel fan-out run concurrently with each other. Timers
 * are not calls and run whenever due. The exception is a step of a race ({@link QueueItem#race()}): as
 * Inngest does for {@code parallelMode: "race"}, a discovery does not wait for it, so the run goes on as
 * soon as any branch of the race ends while the other branches' steps still run.
 */
public final class WorkQueue implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(WorkQueue.class);

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final PriorityQueue<QueueItem> ready = new PriorityQueue<>(
            Comparator.comparingLong(QueueItem::dueAt).thenComparingLong(QueueItem::id));
    /** Items waiting (in {@link #ready} or a slot's blocked list), by id. */
    private final Map<Long, QueueItem> queued = new HashMap<>();
    private final Map<Long, QueueItem> running = new HashMap<>();
    private final Map<String, Slot> slots = new HashMap<>();
    private final ExecutorService workers = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("loomstep-dev-worker-", 0).factory());
    private final Consumer<QueueItem> handler;
    private final InstantSource clock;
    /** The longest the dispatcher sleeps without looking at the clock again. */
    static final long RECHECK_MILLIS = 200;
    private final Thread dispatcher;
    private volatile boolean closing;

    /** What the queue knows of one run's calls. */
    private static final class Slot {
        int runningCalls;
        boolean discoverRunning;
        /** STEP items queued or running: a discovery waits for all of them but race steps. */
        int outstandingSteps;
        /** Of {@link #outstandingSteps}, the race steps. */
        int outstandingRaceSteps;
        /** Of {@link #runningCalls}, race steps. */
        int runningRaceCalls;
        final List<QueueItem> blocked = new ArrayList<>();

        boolean idle() {
            return runningCalls == 0 && outstandingSteps == 0 && blocked.isEmpty() && !discoverRunning;
        }
    }

    /**
     * @param handler does an item's work and commits its outcome (deleting or rescheduling the row, then
     *                offering follow-up items); runs on a virtual thread; must not throw
     */
    public WorkQueue(Consumer<QueueItem> handler) {
        this(handler, InstantSource.system());
    }

    /**
     * @param clock says when an item is due; it is re-read at least every {@value #RECHECK_MILLIS} ms, so
     *              a clock moved forward (by a test, or by NTP) is noticed promptly
     */
    public WorkQueue(Consumer<QueueItem> handler, InstantSource clock) {
        this.clock = clock;
        this.handler = handler;
        this.dispatcher = Thread.ofPlatform().daemon().name("loomstep-dev-dispatcher").unstarted(this::dispatchLoop);
    }

    public void start() {
        dispatcher.start();
    }

    /** Schedules an item already saved in the store; offering the same id again replaces it. */
    public void offer(QueueItem item) {
        lock.lock();
        try {
            if (closing) {
                return;
            }
            QueueItem old = queued.remove(item.id());
            if (old != null) {
                unqueue(old);
            }
            queued.put(item.id(), item);
            if (item.kind() == Kind.STEP) {
                slot(item.runId()).outstandingSteps++;
                if (item.race()) {
                    slot(item.runId()).outstandingRaceSteps++;
                }
            }
            ready.add(item);
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** True while the item's handler is running. */
    public boolean isRunning(long itemId) {
        lock.lock();
        try {
            return running.containsKey(itemId);
        } finally {
            lock.unlock();
        }
    }

    /** Drops every waiting item of a run (it ended); running handlers finish and find the run ended. */
    public void forgetRun(String runId) {
        lock.lock();
        try {
            var drop = new ArrayList<QueueItem>();
            for (QueueItem q : queued.values()) {
                if (runId.equals(q.runId())) {
                    drop.add(q);
                }
            }
            for (QueueItem q : drop) {
                queued.remove(q.id());
                unqueue(q);
            }
            cleanup(runId);
        } finally {
            lock.unlock();
        }
    }

    /** Drops one waiting item (its row was deleted). */
    public void forget(long itemId) {
        lock.lock();
        try {
            QueueItem q = queued.remove(itemId);
            if (q != null) {
                unqueue(q);
                cleanup(q.runId());
            }
        } finally {
            lock.unlock();
        }
    }

    /** Number of items waiting or running; for tests and diagnostics. */
    public int size() {
        lock.lock();
        try {
            return queued.size() + running.size();
        } finally {
            lock.unlock();
        }
    }

    private void unqueue(QueueItem q) {
        ready.remove(q);
        Slot s = q.runId() == null ? null : slots.get(q.runId());
        if (s != null) {
            s.blocked.remove(q);
            if (q.kind() == Kind.STEP) {
                s.outstandingSteps--;
                if (q.race()) {
                    s.outstandingRaceSteps--;
                }
            }
        }
    }

    private Slot slot(String runId) {
        return slots.computeIfAbsent(runId, k -> new Slot());
    }

    private void cleanup(String runId) {
        if (runId != null) {
            Slot s = slots.get(runId);
            if (s != null && s.idle()) {
                slots.remove(runId);
            }
        }
    }

    private boolean eligible(QueueItem item, Slot s) {
        return switch (item.kind()) {
            case DISCOVER -> s.runningCalls == s.runningRaceCalls && s.outstandingSteps == s.outstandingRaceSteps
                    && !s.discoverRunning;
            case STEP -> !s.discoverRunning;
            case WAKE, WAIT_TIMEOUT, INVOKE_TIMEOUT, CRON, GATEWAY -> true;
        };
    }

    private void dispatchLoop() {
        lock.lock();
        try {
            while (!closing) {
                QueueItem head = ready.peek();
                long now = clock.millis();
                if (head == null) {
                    changed.await();
                    continue;
                }
                if (head.dueAt() > now) {
                    changed.await(Math.min(head.dueAt() - now, RECHECK_MILLIS), TimeUnit.MILLISECONDS);
                    continue;
                }
                ready.poll();
                Slot s = head.runId() == null ? null : slot(head.runId());
                if (s != null && !eligible(head, s)) {
                    s.blocked.add(head);
                    continue;
                }
                queued.remove(head.id());
                running.put(head.id(), head);
                if (s != null && head.kind().isCall()) {
                    s.runningCalls++;
                    if (head.race()) {
                        s.runningRaceCalls++;
                    }
                    if (head.kind() == Kind.DISCOVER) {
                        s.discoverRunning = true;
                    }
                }
                workers.execute(() -> work(head));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            lock.unlock();
        }
    }

    private void work(QueueItem item) {
        try {
            if (!closing) {
                handler.accept(item);
            }
        } catch (Throwable t) {
            LOG.error("queue item {} ({} of run {}) failed unexpectedly; it runs again after a restart",
                    item.id(), item.kind(), item.runId(), t);
        } finally {
            finished(item);
        }
    }

    private void finished(QueueItem item) {
        lock.lock();
        try {
            running.remove(item.id());
            Slot s = item.runId() == null ? null : slots.get(item.runId());
            if (s != null) {
                if (item.kind().isCall()) {
                    s.runningCalls--;
                    if (item.race()) {
                        s.runningRaceCalls--;
                    }
                    if (item.kind() == Kind.DISCOVER) {
                        s.discoverRunning = false;
                    }
                }
                if (item.kind() == Kind.STEP) {
                    s.outstandingSteps--;
                    if (item.race()) {
                        s.outstandingRaceSteps--;
                    }
                }
                // Whatever waited for this call gets another look.
                ready.addAll(s.blocked);
                s.blocked.clear();
                cleanup(item.runId());
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() {
        lock.lock();
        try {
            closing = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        dispatcher.interrupt();
        workers.shutdownNow();
        try {
            if (!workers.awaitTermination(10, TimeUnit.SECONDS)) {
                LOG.warn("some devserver workers did not stop within 10 s");
            }
            dispatcher.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public boolean closing() {
        return closing;
    }
}
