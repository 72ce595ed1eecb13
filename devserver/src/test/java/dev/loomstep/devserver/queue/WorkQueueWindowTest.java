package dev.loomstep.devserver.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.loomstep.devserver.flow.ManualClock;
import dev.loomstep.devserver.store.QueueItem;
import dev.loomstep.devserver.store.QueueItem.Kind;
import dev.loomstep.devserver.store.Store;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The queue holds a bounded window of the soonest-due items and pages the rest in from a real SQLite
 * store by due time. Each handler deletes its row first, as the executor's do, so a fired item whose row
 * was already gone (a stale or duplicate copy) is counted.
 */
class WorkQueueWindowTest {
    private static final Instant ORIGIN = Instant.parse("2026-01-01T00:00:00Z");
    private static final int WINDOW = 20;

    @TempDir
    Path dir;

    /** Records each item once its row is deleted; anything fired without a row is a duplicate or a revived item. */
    private static final class Firings {
        final Map<Long, QueueItem> fired = new ConcurrentHashMap<>();
        final AtomicInteger withoutRow = new AtomicInteger();
        final Store store;

        Firings(Store store) {
            this.store = store;
        }

        void handle(QueueItem item) {
            if (store.deleteItem(item.id())) {
                fired.put(item.id(), item);
            } else {
                withoutRow.incrementAndGet();
            }
        }
    }

    @Test
    void holdsOnlyItsWindowOfManyMorePendingTimersAndFiresEachOnceInDueOrder() {
        var clock = new ManualClock(ORIGIN);
        try (Store store = Store.open(dir.resolve("window.db"))) {
            long base = ORIGIN.toEpochMilli() + 1_000;
            var due = new ArrayList<Long>();
            for (int i = 0; i < 1_000; i++) {
                due.add(base + i * 10L);
            }
            Collections.shuffle(due, new Random(7));
            var all = new ArrayList<QueueItem>();
            for (long at : due) {
                all.add(store.insertItem("run-" + at, Kind.WAKE, "s", 0, at, null));
            }
            var firings = new Firings(store);
            try (var queue = new WorkQueue(firings::handle, clock, store::itemsAfter, WINDOW)) {
                queue.start();
                awaitTrue("the first page is read", () -> queue.stats().pagesRead() > 0);
                assertEquals(WINDOW, queue.stats().held(), "it holds a full window, not the 1,000 pending items: " + queue.stats());

                // Move time in steps of 50 items: after each, exactly the items due by then have fired.
                for (int step = 1; step <= 20; step++) {
                    long until = base + (step * 50 - 1) * 10L;
                    clock.set(Instant.ofEpochMilli(until));
                    int expected = step * 50;
                    awaitTrue(expected + " items fired", () -> firings.fired.size() >= expected);
                    Set<Long> early = firings.fired.values().stream().filter(q -> q.dueAt() > until)
                            .map(QueueItem::id).collect(Collectors.toSet());
                    assertEquals(Set.of(), early, "items fired before they were due");
                    assertEquals(expected, firings.fired.size(), "items due by then that did not fire");
                }
            }
            assertEquals(0, firings.withoutRow.get(), "no item fired twice");
            assertEquals(all.size(), firings.fired.size());
            assertTrue(store.itemsAfter(Long.MIN_VALUE, Long.MIN_VALUE, 10).isEmpty(), "every row was handled");
        }
    }

    @Test
    void offersPastTheWindowStayInTheStoreAndFireWhenDueWhileRowsComeAndGo() throws Exception {
        var clock = new ManualClock(ORIGIN);
        try (Store store = Store.open(dir.resolve("offers.db"))) {
            var firings = new Firings(store);
            var deleted = ConcurrentHashMap.<Long>newKeySet();
            var kept = ConcurrentHashMap.<Long>newKeySet();
            try (var queue = new WorkQueue(firings::handle, clock, store::itemsAfter, WINDOW)) {
                queue.start();
                // Four writers enqueue as the executor does (row first, then offer) while the queue pages;
                // every third run is cancelled (rows deleted, then forgotten), as a run's end does.
                try (var writers = Executors.newVirtualThreadPerTaskExecutor()) {
                    for (int w = 0; w < 4; w++) {
                        int writer = w;
                        writers.submit(() -> {
                            var random = new Random(writer);
                            for (int i = 0; i < 250; i++) {
                                String run = "run-" + writer + "-" + i;
                                long at = ORIGIN.toEpochMilli() + 1 + random.nextInt(60_000);
                                QueueItem item = store.insertItem(run, random.nextBoolean() ? Kind.WAKE : Kind.WAIT_TIMEOUT,
                                        "s", 0, at, null);
                                queue.offer(item);
                                if (i % 3 == 0) {
                                    store.deleteItems(run);
                                    queue.forgetRun(run);
                                    deleted.add(item.id());
                                } else if (i % 3 == 1) {
                                    // rescheduled later, as a retry is: only the new due time counts
                                    store.reschedule(item, 1, at + 30_000).ifPresent(queue::offer);
                                    kept.add(item.id());
                                } else {
                                    kept.add(item.id());
                                }
                            }
                            return null;
                        });
                    }
                }
                awaitTrue("the window refills", () -> queue.stats().held() >= WINDOW / 2);
                assertTrue(queue.stats().peakHeld() <= WINDOW, "held " + queue.stats().peakHeld() + " > window " + WINDOW);

                clock.advance(Duration.ofMinutes(2));
                awaitTrue("every kept item fired", () -> firings.fired.size() >= kept.size());
            }
            assertEquals(new TreeSet<>(kept), new TreeSet<>(firings.fired.keySet()), "exactly the kept items fired");
            assertEquals(0, firings.withoutRow.get(), "no deleted or already fired item fired");
            for (QueueItem q : firings.fired.values()) {
                assertTrue(!deleted.contains(q.id()));
                if (q.attempt() == 1) {
                    assertTrue(q.dueAt() > ORIGIN.toEpochMilli() + 30_000, "a rescheduled item fired with its old due time");
                }
            }
        }
    }

    @Test
    void stepCallsAreAlwaysHeldSoADiscoveryOfTheirRunWaitsForThem() {
        var clock = new ManualClock(ORIGIN);
        try (Store store = Store.open(dir.resolve("steps.db"))) {
            var order = Collections.synchronizedList(new ArrayList<Kind>());
            long later = ORIGIN.toEpochMilli() + 10_000;
            // Enough timers before them that the STEP call lies far past the window.
            for (int i = 0; i < 5 * WINDOW; i++) {
                store.insertItem("other-" + i, Kind.WAKE, "s", 0, ORIGIN.toEpochMilli() + 1_000 + i, null);
            }
            QueueItem step = store.insertItem("run", Kind.STEP, "a", 0, later, null);
            QueueItem discover = store.insertItem("run", Kind.DISCOVER, null, 0, ORIGIN.toEpochMilli() + 1, null);
            try (var queue = new WorkQueue(item -> {
                store.deleteItem(item.id());
                if ("run".equals(item.runId())) {
                    order.add(item.kind());
                }
            }, clock, store::itemsAfter, WINDOW)) {
                queue.offer(step); // as DevServer does at start: STEP rows are offered, never paged
                queue.start();
                clock.set(Instant.ofEpochMilli(later + 1));
                awaitTrue("both calls of the run ran", () -> order.size() == 2);
                assertEquals(List.of(Kind.STEP, Kind.DISCOVER), order,
                        "the discovery (due first) waited for the run's STEP call " + discover.id());
            }
        }
    }

    @Test
    void anItemItsHandlerReschedulesPastTheWindowFiresAgainEvenIfAPageReadsItWhileTheHandlerRuns() {
        var clock = new ManualClock(ORIGIN);
        long t0 = ORIGIN.toEpochMilli();
        try (Store store = Store.open(dir.resolve("reschedule.db"))) {
            store.insertItem("retried", Kind.WAKE, "s", 0, t0 + 1, null);
            store.insertItem("quick", Kind.WAKE, "s", 0, t0 + 2, null);
            for (int i = 0; i < 6; i++) {
                store.insertItem("filler-" + i, Kind.WAKE, "s", 0, t0 + 100 + i * 10L, null); // 100, 110, 120, ...
            }
            var fired = Collections.synchronizedList(new ArrayList<String>());
            var queueRef = new java.util.concurrent.atomic.AtomicReference<WorkQueue>();
            var handlerMayEnd = new java.util.concurrent.CountDownLatch(1);
            try (var queue = new WorkQueue(item -> {
                fired.add(item.runId() + "#" + item.attempt());
                if (item.runId().equals("retried") && item.attempt() == 0) {
                    // As a retry does: the row gets a later due time, past the window (retried, quick,
                    // 100, 110), and the handler is still running when the next page reads that row.
                    store.reschedule(item, 1, t0 + 115).ifPresent(queueRef.get()::offer);
                    try {
                        handlerMayEnd.await(10, java.util.concurrent.TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                } else {
                    store.deleteItem(item.id());
                }
            }, clock, store::itemsAfter, 4)) {
                queueRef.set(queue);
                queue.start();
                awaitTrue("the first page", () -> queue.stats().pagesRead() == 1);
                clock.set(Instant.ofEpochMilli(t0 + 1));
                awaitTrue("the retried item rescheduled by its running handler",
                        () -> store.item("retried", Kind.WAKE, "s").map(q -> q.attempt() == 1).orElse(false));
                clock.set(Instant.ofEpochMilli(t0 + 2)); // the quick item fires, the window drains to half: a page
                awaitTrue("the page read while the handler runs", () -> queue.stats().pagesRead() == 2);
                handlerMayEnd.countDown();
                clock.set(Instant.ofEpochMilli(t0 + 1_000));
                awaitTrue("every item, the retried one twice", () -> fired.size() == 9);
            }
            assertEquals(1, fired.stream().filter("retried#1"::equals).count(), "the rescheduled attempt fired once: " + fired);
        }
    }

    private static void awaitTrue(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out waiting until " + what);
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted");
            }
        }
    }
}
