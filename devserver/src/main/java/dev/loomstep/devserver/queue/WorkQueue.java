package dev.loomstep.devserver.queue;

import dev.loomstep.devserver.store.QueueItem;
import dev.loomstep.devserver.store.QueueItem.Kind;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Iterator;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
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
 * <p>Memory is bounded: the queue holds a <em>window</em> of at most {@code window} items, the soonest
 * due, and pages the rest in from its {@link Backlog} (the store, by due time) as the window drains. The
 * window is everything pending up to a bound {@code (dueAt, id)}: every item at or before it is held,
 * none after it (except STEP calls, which are never paged, see {@link Backlog}). An item offered past
 * the bound is left to the store; when offers overfill the window, the latest items not yet due are
 * dropped from memory and the bound moves before them. A page is read without the lock (the store's
 * writer may be waiting for this queue); whatever is offered, forgotten or finished meanwhile is noted,
 * and the page's stale copies of those items are skipped, so an item is never held twice, never revived
 * after its row was deleted, and never lost between the page and the bound.
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
    private static final Comparator<QueueItem> DUE_ORDER =
            Comparator.comparingLong(QueueItem::dueAt).thenComparingLong(QueueItem::id);
    private final TreeSet<QueueItem> ready = new TreeSet<>(DUE_ORDER);
    /** Items waiting (in {@link #ready} or a slot's blocked list), by id. */
    private final Map<Long, QueueItem> queued = new HashMap<>();
    private final Map<Long, QueueItem> running = new HashMap<>();
    /** The items of {@link #queued} by run, so a run's end drops them without scanning the window. */
    private final Map<String, List<QueueItem>> heldByRun = new HashMap<>();
    private final Map<String, Slot> slots = new HashMap<>();
    private final ExecutorService workers = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("loomstep-dev-worker-", 0).factory());
    private final Consumer<QueueItem> handler;
    private final InstantSource clock;
    /** The longest the dispatcher sleeps without looking at the clock again. */
    static final long RECHECK_MILLIS = 200;
    private final Thread dispatcher;
    private volatile boolean closing;

    /** The default window: a few MiB of items, enough to keep up with thousands of timers a second. */
    public static final int DEFAULT_WINDOW = 10_000;
    /**
     * The most items handled at once by default. Each running item is an SDK call in flight with its
     * request, response and connection buffers; unbounded, a burst of 100,000 new runs ran a 256 MiB heap
     * out of memory. Due items beyond it wait in order in {@link #ready}.
     */
    public static final int DEFAULT_MAX_RUNNING = 1_000;
    private int maxRunning = DEFAULT_MAX_RUNNING;
    private final Backlog backlog;
    private final int window;
    /** The window's bound: every pending item up to {@code (boundDue, boundId)} is held, none after. */
    private long boundDue;
    private long boundId;
    /** True while a page is being read without the lock. */
    private boolean paging;
    /** Items offered or forgotten, and runs forgotten, while a page was read: its copies of them are stale. */
    private final Set<Long> touchedWhilePaging = new HashSet<>();
    private final Set<String> runsForgottenWhilePaging = new HashSet<>();
    /** Items whose handler finished while a page was read, as they were run. */
    private final Map<Long, QueueItem> finishedWhilePaging = new HashMap<>();
    /** STEP items in {@link #queued}: they are never paged, so the window counts the others. */
    private int stepsHeld;
    private int peakHeld;
    private long pagesRead;

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
        this(handler, clock, Backlog.NONE, Integer.MAX_VALUE);
    }

    /**
     * @param backlog where pending items beyond the window are paged in from (the store)
     * @param window  the most items held in memory (STEP calls and items already due may exceed it)
     */
    public WorkQueue(Consumer<QueueItem> handler, InstantSource clock, Backlog backlog, int window) {
        if (window < 2) {
            throw new IllegalArgumentException("the queue's window must hold at least 2 items, got " + window);
        }
        this.clock = clock;
        this.handler = handler;
        this.backlog = backlog;
        this.window = backlog == Backlog.NONE ? Integer.MAX_VALUE : window;
        // With a backlog, nothing is held until the first page; without one, everything offered is.
        this.boundDue = backlog == Backlog.NONE ? Long.MAX_VALUE : Long.MIN_VALUE;
        this.boundId = this.boundDue;
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
            QueueItem old = release(item.id());
            if (old != null) {
                unqueue(old);
            }
            if (paging) {
                touchedWhilePaging.add(item.id());
            } else if (item.kind() != Kind.STEP && pastBound(item)) {
                cleanup(item.runId()); // saved in the store: paged in when the window reaches it
                return;
            }
            hold(item);
            if (!paging) {
                trim();
                peakHeld = Math.max(peakHeld, paged());
            }
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
            if (paging) {
                runsForgottenWhilePaging.add(runId);
            }
            List<QueueItem> held = heldByRun.get(runId);
            for (QueueItem q : held == null ? List.<QueueItem>of() : List.copyOf(held)) {
                release(q.id());
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
            if (paging) {
                touchedWhilePaging.add(itemId);
            }
            QueueItem q = release(itemId);
            if (q != null) {
                unqueue(q);
                cleanup(q.runId());
            }
        } finally {
            lock.unlock();
        }
    }

    /** Number of items held in memory, waiting or running (the rest of the backlog is in the store). */
    public int size() {
        lock.lock();
        try {
            return queued.size() + running.size();
        } finally {
            lock.unlock();
        }
    }

    /** What the queue holds in memory now and at most so far; for diagnostics ({@code GET /dev}) and tests. */
    public Stats stats() {
        lock.lock();
        try {
            return new Stats(queued.size(), running.size(), peakHeld, window, pagesRead);
        } finally {
            lock.unlock();
        }
    }

    /**
     * @param held      items waiting in memory
     * @param running   items whose handler runs
     * @param peakHeld  the most items other than STEP calls waiting in memory at once, after each offer
     *                  or page (the window bounds it, except for items already due)
     * @param window    the window's size ({@link Integer#MAX_VALUE}: unbounded, no backlog)
     * @param pagesRead pages read from the backlog so far
     */
    public record Stats(int held, int running, int peakHeld, int window, long pagesRead) {}

    private void hold(QueueItem item) {
        queued.put(item.id(), item);
        if (item.runId() != null) {
            heldByRun.computeIfAbsent(item.runId(), k -> new ArrayList<>(2)).add(item);
        }
        if (item.kind() == Kind.STEP) {
            slot(item.runId()).outstandingSteps++;
            if (item.race()) {
                slot(item.runId()).outstandingRaceSteps++;
            }
            stepsHeld++;
        }
        ready.add(item);
    }

    /** Takes an item out of {@link #queued} and the run index; the caller updates the rest. */
    private QueueItem release(long id) {
        QueueItem q = queued.remove(id);
        if (q != null && q.runId() != null) {
            List<QueueItem> held = heldByRun.get(q.runId());
            if (held != null) {
                held.removeIf(x -> x.id() == id);
                if (held.isEmpty()) {
                    heldByRun.remove(q.runId());
                }
            }
        }
        return q;
    }

    /** Held items the window counts: all but STEP calls. */
    private int paged() {
        return queued.size() - stepsHeld;
    }

    private boolean pastBound(QueueItem item) {
        return item.dueAt() > boundDue || (item.dueAt() == boundDue && item.id() > boundId);
    }

    /**
     * Drops the latest items not yet due from memory (their rows stay) until the window fits, and moves
     * the bound before the earliest dropped, so the backlog pages them in again in order.
     */
    private void trim() {
        if (paged() <= window) {
            return;
        }
        long now = clock.millis();
        Iterator<QueueItem> latest = ready.descendingIterator();
        while (paged() > window && latest.hasNext()) {
            QueueItem q = latest.next();
            if (q.kind() == Kind.STEP) {
                continue;
            }
            if (q.dueAt() <= now) {
                break; // due: it runs soon, and paging it out and in again gains nothing
            }
            latest.remove();
            release(q.id());
            cleanup(q.runId());
            boundDue = q.dueAt();
            boundId = q.id() - 1;
        }
    }

    /** True when the backlog may hold items the window should: it has drained to half, or is all STEPs. */
    private boolean needsPage() {
        if (boundDue == Long.MAX_VALUE || closing) {
            return false;
        }
        if (paged() <= window / 2) {
            return true;
        }
        QueueItem head = ready.isEmpty() ? null : ready.first();
        return head == null || pastBound(head);
    }

    /**
     * Reads the next page past the bound without the lock, then merges it: copies of items touched
     * meanwhile are stale (the offer holds the newer one; a forgotten or finished item's row is gone or
     * re-offered), and offers that landed past the new bound go back to the store.
     */
    private void page() throws InterruptedException {
        long fromDue = boundDue;
        long fromId = boundId;
        int limit = Math.max(window - paged(), Math.max(1, window / 4));
        paging = true;
        List<QueueItem> page = null;
        lock.unlock();
        try {
            page = backlog.after(fromDue, fromId, limit);
        } catch (RuntimeException e) {
            if (!closing) {
                LOG.error("could not read pending queue items from the store; trying again in 1 s", e);
            }
        } finally {
            lock.lock();
        }
        try {
            if (page == null) {
                changed.await(1, TimeUnit.SECONDS);
                return;
            }
            pagesRead++;
            for (QueueItem q : page) {
                if (q.kind() == Kind.STEP || touchedWhilePaging.contains(q.id()) || queued.containsKey(q.id())
                        || handledCopy(q) || (q.runId() != null && runsForgottenWhilePaging.contains(q.runId()))) {
                    continue;
                }
                hold(q);
            }
            if (page.size() < limit) {
                boundDue = Long.MAX_VALUE; // the store has nothing more: hold all until offers overfill the window
                boundId = Long.MAX_VALUE;
            } else {
                QueueItem last = page.get(page.size() - 1);
                boundDue = last.dueAt();
                boundId = last.id();
                // Offers made while the page was read may lie past the new bound: the store keeps them.
                Iterator<QueueItem> latest = ready.descendingIterator();
                while (latest.hasNext()) {
                    QueueItem q = latest.next();
                    if (!pastBound(q)) {
                        break;
                    }
                    if (q.kind() != Kind.STEP) {
                        latest.remove();
                        release(q.id());
                        cleanup(q.runId());
                    }
                }
            }
        } finally {
            paging = false;
            touchedWhilePaging.clear();
            finishedWhilePaging.clear();
            runsForgottenWhilePaging.clear();
        }
        trim();
        peakHeld = Math.max(peakHeld, paged());
    }

    /**
     * True when a paged row is the very version a handler is running or just finished: its row is still
     * there (the handler has not deleted it yet, or the page was read before it did), not new work. A
     * handler that rescheduled its item wrote another due time or attempt, and that row is pending.
     */
    private boolean handledCopy(QueueItem q) {
        QueueItem handled = running.get(q.id());
        if (handled == null) {
            handled = finishedWhilePaging.get(q.id());
        }
        return handled != null && handled.dueAt() == q.dueAt() && handled.attempt() == q.attempt();
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
        if (q.kind() == Kind.STEP) {
            stepsHeld--;
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

    /** Sets the most items handled at once (before {@code start}); the rest wait, due first. */
    public void maxRunning(int items) {
        if (items < 1) {
            throw new IllegalArgumentException("the queue must run at least 1 item at once, got " + items);
        }
        this.maxRunning = items;
    }

    private void dispatchLoop() {
        lock.lock();
        try {
            while (!closing) {
                if (needsPage()) {
                    page();
                    continue;
                }
                QueueItem head = ready.isEmpty() ? null : ready.first();
                long now = clock.millis();
                if (head == null) {
                    changed.await();
                    continue;
                }
                if (head.dueAt() > now) {
                    changed.await(Math.min(head.dueAt() - now, RECHECK_MILLIS), TimeUnit.MILLISECONDS);
                    continue;
                }
                if (running.size() >= maxRunning) {
                    changed.await(RECHECK_MILLIS, TimeUnit.MILLISECONDS); // an item's end signals
                    continue;
                }
                ready.pollFirst();
                Slot s = head.runId() == null ? null : slot(head.runId());
                if (s != null && !eligible(head, s)) {
                    s.blocked.add(head);
                    continue;
                }
                release(head.id());
                if (head.kind() == Kind.STEP) {
                    stepsHeld--;
                }
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
            if (paging) {
                finishedWhilePaging.put(item.id(), item);
            }
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
