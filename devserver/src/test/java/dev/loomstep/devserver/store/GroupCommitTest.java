package dev.loomstep.devserver.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.loomstep.Event;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The store's single writer: batching, isolation of a failing unit, after-commit and reentrancy. */
class GroupCommitTest {
    private static final Duration DEADLINE = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    @Test
    void callersQueuedBehindABusyWriterShareOneTransaction() throws Exception {
        try (Store store = Store.open(dir.resolve("batch.db"));
             var threads = Executors.newVirtualThreadPerTaskExecutor()) {
            var blocker = blockWriter(store, threads);
            long commitsBefore = store.commits();
            var callers = new ArrayList<Future<Boolean>>();
            for (int i = 0; i < 100; i++) {
                Event e = event("e" + i);
                callers.add(threads.submit(() -> store.insertEvent(e, 1L)));
            }
            awaitTrue(() -> store.waiting() == 100, "100 units waiting for the writer");
            blocker.release.countDown();

            for (Future<Boolean> caller : callers) {
                assertTrue(caller.get(20, TimeUnit.SECONDS));
            }
            blocker.unit.get(20, TimeUnit.SECONDS);
            // The blocking unit's own transaction, then one for all 100 callers.
            assertEquals(2, store.commits() - commitsBefore);
            assertEquals(101, store.counts().get("events"));
        }
    }

    @Test
    void aFailingUnitRollsBackAloneAndOnlyItsCallerGetsTheException() throws Exception {
        try (Store store = Store.open(dir.resolve("isolation.db"));
             var threads = Executors.newVirtualThreadPerTaskExecutor()) {
            var blocker = blockWriter(store, threads);
            long commitsBefore = store.commits();
            var callers = new ArrayList<Future<Boolean>>();
            for (int i = 0; i < 30; i++) {
                int n = i;
                callers.add(threads.submit(() -> store.tx(() -> {
                    store.insertEvent(event("e" + n), 1L);
                    if (n % 10 == 3) {
                        throw new IllegalStateException("unit " + n + " refuses");
                    }
                    if (n % 10 == 7) {
                        store.insertRun(run("dup" + n));
                        store.insertRun(run("dup" + n)); // a constraint violation in SQLite itself
                    }
                    return true;
                })));
            }
            awaitTrue(() -> store.waiting() == 30, "30 units waiting for the writer");
            blocker.release.countDown();

            for (int i = 0; i < 30; i++) {
                if (i % 10 == 3) {
                    var thrown = assertThrows(ExecutionException.class, callers.get(i)::get);
                    assertInstanceOf(IllegalStateException.class, thrown.getCause());
                    assertEquals("unit " + i + " refuses", thrown.getCause().getMessage());
                } else if (i % 10 == 7) {
                    var thrown = assertThrows(ExecutionException.class, callers.get(i)::get);
                    assertInstanceOf(StoreException.class, thrown.getCause());
                    assertTrue(thrown.getCause().getMessage().contains("UNIQUE"), thrown.getCause().getMessage());
                } else {
                    assertTrue(callers.get(i).get());
                }
            }
            assertEquals(2, store.commits() - commitsBefore, "the failures shared the batch of the others");
            for (int i = 0; i < 30; i++) {
                boolean failed = i % 10 == 3 || i % 10 == 7;
                assertEquals(!failed, store.event("e" + i).isPresent(), "event e" + i);
                assertTrue(store.run("dup" + i).isEmpty(), "run dup" + i);
            }
        }
    }

    @Test
    void afterCommitActionsRunInOrderOnTheCallerOnceTheChangeIsCommitted() {
        try (Store store = Store.open(dir.resolve("after.db"))) {
            var seen = new ArrayList<String>();
            Thread caller = Thread.currentThread();
            store.txRun(() -> {
                store.insertEvent(event("a"), 1L);
                store.afterCommit(() -> {
                    assertSame(caller, Thread.currentThread());
                    // Outside the unit this reads through a second connection: only a commit is visible there.
                    seen.add("first, committed=" + store.event("a").isPresent());
                });
                store.afterCommit(() -> seen.add("second"));
                assertTrue(seen.isEmpty(), "nothing runs before the commit");
            });
            assertEquals(List.of("first, committed=true", "second"), seen);
        }
    }

    @Test
    void afterCommitActionsOfAUnitThatRollsBackNeverRun() {
        try (Store store = Store.inMemory()) {
            var ran = new CopyOnWriteArrayList<String>();
            assertThrows(IllegalArgumentException.class, () -> store.txRun(() -> {
                store.insertEvent(event("gone"), 1L);
                store.afterCommit(() -> ran.add("should not run"));
                throw new IllegalArgumentException("roll back");
            }));
            assertTrue(ran.isEmpty());
            assertTrue(store.event("gone").isEmpty());
            store.afterCommit(() -> ran.add("outside a unit: at once"));
            assertEquals(List.of("outside a unit: at once"), ran);
        }
    }

    @Test
    void afterRollbackActionsRunOnTheCallerOnlyWhenItsUnitRollsBack() {
        try (Store store = Store.inMemory()) {
            var ran = new CopyOnWriteArrayList<String>();
            Thread caller = Thread.currentThread();
            store.txRun(() -> {
                store.insertEvent(event("kept"), 1L);
                store.afterRollback(() -> ran.add("should not run: the unit committed"));
            });
            var thrown = assertThrows(IllegalArgumentException.class, () -> store.txRun(() -> {
                store.insertEvent(event("gone"), 1L);
                store.afterRollback(() -> {
                    assertSame(caller, Thread.currentThread());
                    ran.add("undone, saved=" + store.event("gone").isPresent());
                });
                store.txRun(() -> store.afterRollback(() -> ran.add("a joined unit's too")));
                throw new IllegalArgumentException("roll back");
            }));
            assertEquals("roll back", thrown.getMessage(), "the unit's own failure reaches the caller");
            assertEquals(List.of("undone, saved=false", "a joined unit's too"), ran);
            assertFalse(store.afterRollback(() -> ran.add("outside a unit: never")));
            assertEquals(2, ran.size());
        }
    }

    @Test
    void aUnitStartedInsideAUnitJoinsItsTransaction() {
        try (Store store = Store.inMemory()) {
            var ran = new CopyOnWriteArrayList<String>();
            long commitsBefore = store.commits();
            store.txRun(() -> {
                store.txRun(() -> {
                    store.insertEvent(event("inner"), 1L);
                    store.afterCommit(() -> ran.add("inner after commit"));
                });
                assertTrue(store.event("inner").isPresent(), "the outer unit sees the inner one's write");
                assertTrue(ran.isEmpty(), "the inner unit's actions wait for the outer commit");
            });
            assertEquals(List.of("inner after commit"), ran);
            assertEquals(1, store.commits() - commitsBefore);

            assertThrows(IllegalStateException.class, () -> store.txRun(() -> {
                store.txRun(() -> store.insertEvent(event("rolled-back"), 1L));
                throw new IllegalStateException("outer fails");
            }));
            assertTrue(store.event("rolled-back").isEmpty(), "the outer failure rolls back the inner unit too");
        }
    }

    @Test
    void readsOutsideAUnitSeeEveryAcknowledgedWrite() throws Exception {
        try (Store store = Store.open(dir.resolve("reads.db"));
             var threads = Executors.newVirtualThreadPerTaskExecutor()) {
            var writers = new ArrayList<Future<?>>();
            for (int t = 0; t < 8; t++) {
                int thread = t;
                writers.add(threads.submit(() -> {
                    for (int i = 0; i < 50; i++) {
                        String id = "r" + thread + "-" + i;
                        store.insertRun(run(id));
                        if (store.run(id).isEmpty()) {
                            fail("run " + id + " was acknowledged but a read right after does not see it");
                        }
                        assertTrue(store.finishRun(id, RunStatus.Completed, null, null, 2L));
                        assertEquals(RunStatus.Completed, store.run(id).orElseThrow().status());
                    }
                    return null;
                }));
            }
            for (Future<?> w : writers) {
                w.get(60, TimeUnit.SECONDS);
            }
            assertEquals(400, store.runs(RunStatus.Completed, null, 1000).size());
            assertTrue(store.commits() <= store.units());
        }
    }

    @Test
    void syncSetsWhatACommitPromises() {
        try (Store full = Store.open(dir.resolve("full.db"), true)) {
            assertEquals(2, full.synchronous(), "FULL");
        }
        try (Store normal = Store.open(dir.resolve("normal.db"))) {
            assertEquals(1, normal.synchronous(), "NORMAL");
        }
    }

    @Test
    void closeLetsAcknowledgedUnitsStayAndRefusesLaterOnes() {
        Path file = dir.resolve("close.db");
        Store store = Store.open(file);
        store.insertEvent(event("kept"), 1L);
        store.close();
        var thrown = assertThrows(StoreException.class, () -> store.insertEvent(event("late"), 1L));
        assertEquals("the devserver database is closed", thrown.getMessage());
        assertThrows(StoreException.class, () -> store.event("kept"));
        try (Store reopened = Store.open(file)) {
            assertTrue(reopened.event("kept").isPresent());
            assertFalse(reopened.event("late").isPresent());
            assertEquals(Map.of("apps", 0L, "functions", 0L, "events", 1L, "runs", 0L, "steps", 0L, "queue", 0L,
                    "pauses", 0L, "flow_held", 0L, "flow_windows", 0L), reopened.counts());
        }
    }

    @Test
    void aLoneCallerCommitsOnItsOwnThreadInItsOwnTransaction() {
        try (Store store = Store.open(dir.resolve("lone.db"))) {
            Thread caller = Thread.currentThread();
            long commitsBefore = store.commits();
            var seen = new ArrayList<String>();
            Thread worker = store.tx(() -> {
                store.insertEvent(event("lone"), 1L);
                store.afterCommit(() -> seen.add("after commit, committed=" + store.event("lone").isPresent()));
                return Thread.currentThread();
            });
            assertSame(caller, worker, "no hand-off to the writer thread when nobody else writes");
            assertEquals(List.of("after commit, committed=true"), seen);
            assertEquals(1, store.commits() - commitsBefore);
            assertNull(store.tx(() -> null));
            assertThrows(IllegalStateException.class, () -> store.txRun(() -> {
                store.insertEvent(event("lone-rolled-back"), 1L);
                throw new IllegalStateException("roll back");
            }));
            assertTrue(store.event("lone-rolled-back").isEmpty());
            assertTrue(store.insertEvent(event("after-rollback"), 1L), "the role is free again after a failure");
        }
    }

    @Test
    void aCallerArrivingWhileAnotherWritesQueuesForTheWriterThread() throws Exception {
        try (Store store = Store.open(dir.resolve("queued.db"));
             var threads = Executors.newVirtualThreadPerTaskExecutor()) {
            var blocker = blockWriter(store, threads);
            Future<Thread> queued = threads.submit(() -> store.tx(() -> {
                store.insertEvent(event("queued"), 1L);
                return Thread.currentThread();
            }));
            awaitTrue(() -> store.waiting() == 1, "the second caller waiting for the writer");
            blocker.release.countDown();
            Thread worker = queued.get(20, TimeUnit.SECONDS);
            assertTrue(worker.getName().equals("loomstep-store-writer"), worker.getName());
            assertTrue(store.event("queued").isPresent());
        }
    }

    @Test
    void closeWaitsForALoneCallerStillCommitting() throws Exception {
        Path file = dir.resolve("close-lone.db");
        Store store = Store.open(file);
        try (var threads = Executors.newVirtualThreadPerTaskExecutor()) {
            var blocker = blockWriter(store, threads);
            Thread closing = Thread.ofPlatform().start(store::close);
            // The writer thread is gone by then; close parks (timed) until the lone caller hands the role back.
            awaitTrue(() -> closing.getState() == Thread.State.TIMED_WAITING, "close waiting for the writer role");
            var refused = assertThrows(StoreException.class, () -> store.insertEvent(event("late"), 1L));
            assertEquals("the devserver database is closed", refused.getMessage());
            blocker.release.countDown();
            blocker.unit.get(20, TimeUnit.SECONDS);
            closing.join(DEADLINE.toMillis());
            assertFalse(closing.isAlive());
        }
        try (Store reopened = Store.open(file)) {
            assertTrue(reopened.event("blocker").isPresent(), "the unit that held the role committed");
        }
    }

    // ---------------------------------------------------------------- helpers

    private record Blocker(CountDownLatch release, Future<?> unit) {}

    /** Occupies the writer with one unit until {@code release} opens, so that others queue up behind it. */
    private static Blocker blockWriter(Store store, java.util.concurrent.ExecutorService threads) {
        var started = new CountDownLatch(1);
        var release = new CountDownLatch(1);
        Future<?> unit = threads.submit(() -> store.txRun(() -> {
            store.insertEvent(event("blocker"), 1L);
            started.countDown();
            try {
                if (!release.await(DEADLINE.toSeconds(), TimeUnit.SECONDS)) {
                    throw new IllegalStateException("never released");
                }
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }));
        awaitTrue(() -> started.getCount() == 0, "the blocking unit running");
        return new Blocker(release, unit);
    }

    private static void awaitTrue(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out waiting for " + what);
            }
            LockSupport.parkNanos(1_000_000);
        }
    }

    private static Event event(String id) {
        return Event.of("test/event", Map.of("id", id)).withId(id).withTs(1L);
    }

    private static RunRecord run(String id) {
        return new RunRecord(id, "fn", null, List.of(), RunStatus.Running, null, null, 1L, null, null, false, -1, null);
    }
}
