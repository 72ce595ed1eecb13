package dev.loomstep.devserver.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loomstep.devserver.store.QueueItem;
import dev.loomstep.devserver.store.QueueItem.Kind;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The queue runs at most {@code maxRunning} items at once; the other due items wait their turn, in order. */
@Timeout(30)
class WorkQueueConcurrencyTest {

    @Test
    void runsNoMoreItemsAtOnceThanItsBoundAndEveryDueItemStillRunsInDueOrder() throws Exception {
        var clock = InstantSource.fixed(Instant.parse("2030-01-01T00:00:00Z"));
        var gate = new CountDownLatch(1);
        var inFlight = new AtomicInteger();
        var most = new AtomicInteger();
        List<Long> order = new CopyOnWriteArrayList<>();
        try (var queue = new WorkQueue(item -> {
            most.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
            order.add(item.id());
            try {
                gate.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                inFlight.decrementAndGet();
            }
        }, clock)) {
            queue.maxRunning(3);
            queue.start();
            long now = clock.millis();
            for (int i = 0; i < 20; i++) {
                queue.offer(new QueueItem(i + 1, "run-" + i, Kind.WAKE, "s", 0, now - 20 + i, null));
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (inFlight.get() < 3 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            Thread.sleep(300); // the dispatcher re-checks every 200 ms: give it the chance to overrun
            assertEquals(3, inFlight.get(), "three items run while their handlers block");
            assertEquals(List.of(1L, 2L, 3L), order.stream().sorted().toList(), "the three due first");
            gate.countDown();
            while (order.size() < 20 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
        }
        assertEquals(20, order.size(), "every due item ran");
        assertTrue(most.get() <= 3, "at most 3 at once, saw " + most.get());
    }

    @Test
    void refusesABoundBelowOne() {
        try (var queue = new WorkQueue(item -> {})) {
            var e = assertThrows(IllegalArgumentException.class, () -> queue.maxRunning(0));
            assertEquals("the queue must run at least 1 item at once, got 0", e.getMessage());
        }
    }
}
