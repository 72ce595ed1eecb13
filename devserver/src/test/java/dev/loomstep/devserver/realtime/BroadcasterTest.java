package dev.loomstep.devserver.realtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loomstep.protocol.Json;
import dev.loomstep.realtime.RealtimeMessage;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class BroadcasterTest {
    static final Topic STATUS = new Topic("orders/1", "status");

    static RealtimeMessage msg(String channel, String topic, int n, String runId) {
        return RealtimeMessage.data(channel, topic, Json.nodes().numberNode(n), runId, Instant.EPOCH);
    }

    @Test
    void aMessageReachesOnlyTheSubscriptionsOfItsChannelAndTopic() throws Exception {
        var b = new Broadcaster(8);
        Subscription status = b.subscribe(List.of(STATUS));
        Subscription other = b.subscribe(List.of(new Topic("orders/2", "status")));
        assertEquals(1, b.publish(msg("orders/1", "status", 1, null)));
        assertEquals(0, b.publish(msg("orders/1", "typing", 2, null)));
        assertEquals(1, status.take(Duration.ofSeconds(1)).data().asInt());
        assertNull(other.take(Duration.ofMillis(20)), "nothing for another channel");
        assertNull(status.take(Duration.ofMillis(20)), "nothing for another topic");
    }

    @Test
    void aSlowSubscriberIsCutOffWithoutBlockingThePublisherOrOthers() throws Exception {
        var b = new Broadcaster(4);
        Subscription slow = b.subscribe(List.of(STATUS));
        Subscription fast = b.subscribe(List.of(STATUS));
        for (int i = 0; i < 10; i++) {
            b.publish(msg("orders/1", "status", i, null));
            assertEquals(i, fast.take(Duration.ofSeconds(1)).data().asInt());
        }
        assertTrue(slow.isClosed());
        var closed = assertThrows(Subscription.Closed.class, () -> slow.take(Duration.ofSeconds(1)));
        assertTrue(closed.getMessage().startsWith("subscriber too slow: 4 messages were waiting"), closed.getMessage());
        assertTrue(!fast.isClosed());
    }

    @Test
    void aWriterParkedOnAnEmptyBufferWakesWhenClosed() throws Exception {
        var b = new Broadcaster(4);
        Subscription s = b.subscribe(List.of(STATUS));
        Thread closer = Thread.ofVirtual().start(() -> {
            sleep(100);
            b.unsubscribe(s, "closed by the client");
        });
        long t0 = System.nanoTime();
        var closed = assertThrows(Subscription.Closed.class, () -> s.take(Duration.ofSeconds(5)));
        assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(4).toNanos(), "woke at once, not at the keepalive");
        assertEquals("closed by the client", closed.getMessage());
        closer.join();
        assertEquals(0, b.subscribers());
        assertEquals(0, b.publish(msg("orders/1", "status", 1, null)));
    }

    @Test
    void aRunWatcherSeesWhatTheRunPublishedBeforeAndAfterItCame() throws Exception {
        var b = new Broadcaster(8);
        String run = "01JRUNAAAAAAAAAAAAAAAAAAAA";
        b.publish(msg("a", "t", 1, run));
        b.publish(msg("a", "t", 2, "01JOTHERAAAAAAAAAAAAAAAAAA"));
        Subscription watcher = b.watchRun(run);
        b.publish(msg("b", "u", 3, run));
        assertEquals(1, watcher.take(Duration.ofSeconds(1)).data().asInt());
        assertEquals(3, watcher.take(Duration.ofSeconds(1)).data().asInt());
        assertEquals(2, b.history(run).size());
        for (int i = 0; i < Broadcaster.RUN_HISTORY + 5; i++) {
            b.publish(msg("a", "t", i, run));
        }
        assertEquals(Broadcaster.RUN_HISTORY, b.history(run).size(), "a run's history is bounded");
    }

    @Test
    void closingTheBroadcasterEndsEverySubscription() {
        var b = new Broadcaster(4);
        Subscription s = b.subscribe(List.of(STATUS));
        b.close();
        var closed = assertThrows(Subscription.Closed.class, () -> s.take(Duration.ofSeconds(1)));
        assertEquals("the server is shutting down", closed.getMessage());
        assertThrows(IllegalStateException.class, () -> b.subscribe(List.of(STATUS)));
        assertSame(0, b.subscribers());
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
