package dev.loomstep.devserver.flow;

import static dev.loomstep.devserver.flow.Events.forUser;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loomstep.devserver.flow.ConcurrencyLimiter.Lease;
import dev.loomstep.devserver.flow.ConcurrencyLimiter.Slot;
import dev.loomstep.flow.Concurrency;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ConcurrencyLimiterTest {
    final ConcurrencyLimiter limiter = new ConcurrencyLimiter();
    final List<Slot> two = List.of(new Slot("f:fn:", 2));

    @Test
    void computesSlotsPerScopeAndKey() {
        assertEquals(List.of(new Slot("f:fn:", 5)), ConcurrencyLimiter.slots("fn", List.of(Concurrency.of(5)), forUser("u")));
        assertEquals(List.of(new Slot("f:fn:u", 1), new Slot("e:u", 3)), ConcurrencyLimiter.slots("fn",
                List.of(Concurrency.perKey(1, "event.data.user_id"), new Concurrency(3, "event.data.user_id", Concurrency.Scope.env)),
                forUser("u")));
        assertEquals(List.of(new Slot("a:u", 3)), ConcurrencyLimiter.slots("fn",
                List.of(new Concurrency(3, "event.data.user_id", Concurrency.Scope.account)), forUser("u")));
        assertEquals(List.of(), ConcurrencyLimiter.slots("fn", List.of(Concurrency.of(0)), forUser("u")), "0 is no limit");
        assertEquals(List.of(), ConcurrencyLimiter.slots("fn", null, forUser("u")));
    }

    @Test
    void grantsUpToTheLimitAndAgainAfterARelease() {
        Lease a = limiter.tryAcquire(two).orElseThrow();
        Lease b = limiter.tryAcquire(two).orElseThrow();
        assertTrue(limiter.tryAcquire(two).isEmpty());
        assertEquals(2, limiter.inUse("f:fn:"));
        a.release();
        a.release();
        assertEquals(1, limiter.inUse("f:fn:"), "releasing twice frees one slot");
        try (Lease c = limiter.tryAcquire(two).orElseThrow()) {
            assertEquals(2, limiter.inUse("f:fn:"));
        }
        b.close();
        assertEquals(0, limiter.inUse("f:fn:"));
    }

    @Test
    void queuedAcquisitionsCompleteInArrivalOrderAsSlotsFree() {
        Lease held1 = limiter.acquire(two).join();
        Lease held2 = limiter.acquire(two).join();
        CompletableFuture<Lease> first = limiter.acquire(two);
        CompletableFuture<Lease> second = limiter.acquire(two);
        assertFalse(first.isDone());
        assertEquals(2, limiter.waiting());
        assertTrue(limiter.tryAcquire(two).isEmpty());

        held1.release();
        assertTrue(first.isDone());
        assertFalse(second.isDone());
        held2.release();
        assertTrue(second.isDone());
        assertEquals(2, limiter.inUse("f:fn:"));
        assertEquals(0, limiter.waiting());
    }

    @Test
    void takesAllSlotsOrNone() {
        Slot user = new Slot("f:fn:u", 1);
        Slot fn = new Slot("f:fn:", 10);
        Lease userBusy = limiter.tryAcquire(List.of(user)).orElseThrow();
        assertTrue(limiter.tryAcquire(List.of(user, fn)).isEmpty());
        assertEquals(0, limiter.inUse("f:fn:"), "nothing taken on the free slot");

        CompletableFuture<Lease> waiting = limiter.acquire(List.of(user, fn));
        Lease otherUser = limiter.tryAcquire(List.of(new Slot("f:fn:v", 1), fn)).orElseThrow();
        assertFalse(waiting.isDone());
        assertEquals(1, limiter.inUse("f:fn:"), "a different user is not held up behind the busy one");
        otherUser.release();
        userBusy.release();
        Lease granted = waiting.join();
        assertEquals(List.of(user, fn), granted.slots());
        assertEquals(1, limiter.inUse("f:fn:u"));
        assertEquals(1, limiter.inUse("f:fn:"));
    }

    @Test
    void aWaiterForFreeKeysIsNotHeldUpBehindOneForBusyKeys() {
        Slot a = new Slot("a", 1);
        Slot b = new Slot("b", 1);
        Lease aHeld = limiter.tryAcquire(List.of(a)).orElseThrow();
        Lease bHeld = limiter.tryAcquire(List.of(b)).orElseThrow();
        CompletableFuture<Lease> needsA = limiter.acquire(List.of(a));
        CompletableFuture<Lease> needsB = limiter.acquire(List.of(b));
        bHeld.release();
        assertTrue(needsB.isDone());
        assertFalse(needsA.isDone());
        aHeld.release();
        assertTrue(needsA.isDone());
    }

    @Test
    void cancellingAWaitLeavesTheQueue() {
        Lease held = limiter.tryAcquire(List.of(new Slot("k", 1))).orElseThrow();
        CompletableFuture<Lease> cancelled = limiter.acquire(List.of(new Slot("k", 1)));
        CompletableFuture<Lease> next = limiter.acquire(List.of(new Slot("k", 1)));
        cancelled.cancel(false);
        assertEquals(1, limiter.waiting());
        held.release();
        assertTrue(next.isDone() && !next.isCompletedExceptionally());
        assertEquals(1, limiter.inUse("k"));
    }

    @Test
    void noSlotsMeansNoLimit() {
        for (int i = 0; i < 100; i++) {
            assertTrue(limiter.tryAcquire(List.of()).isPresent());
        }
        assertTrue(limiter.acquire(List.of()).isDone());
    }

    @Test
    void neverExceedsTheLimitUnderContention() throws Exception {
        List<Slot> three = List.of(new Slot("k", 3));
        AtomicInteger running = new AtomicInteger();
        AtomicInteger maxSeen = new AtomicInteger();
        AtomicInteger done = new AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 16; t++) {
            threads.add(Thread.ofVirtual().start(() -> {
                for (int i = 0; i < 200; i++) {
                    try (Lease lease = limiter.acquire(three).get(30, TimeUnit.SECONDS)) {
                        int now = running.incrementAndGet();
                        maxSeen.accumulateAndGet(now, Math::max);
                        Thread.yield();
                        running.decrementAndGet();
                        done.incrementAndGet();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }
            }));
        }
        for (Thread t : threads) {
            t.join(TimeUnit.SECONDS.toMillis(60));
        }
        assertEquals(16 * 200, done.get());
        assertTrue(maxSeen.get() <= 3, "max concurrent " + maxSeen.get());
        assertEquals(0, limiter.inUse("k"));
        assertEquals(0, limiter.waiting());
    }

    @Test
    void rejectsASlotWithoutALimit() {
        assertEquals("a concurrency slot needs a limit of at least 1, got 0",
                assertThrows(IllegalArgumentException.class, () -> new Slot("k", 0)).getMessage());
    }
}
