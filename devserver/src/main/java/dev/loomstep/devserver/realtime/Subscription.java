package dev.loomstep.devserver.realtime;

import dev.loomstep.realtime.RealtimeMessage;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One subscriber's side of the fan-out: the topics it listens to and a bounded buffer of messages not yet
 * written to its socket. Publishers only {@link #offer} (never wait); the subscriber's own writer thread
 * {@link #take}s. A subscriber that lets {@link #capacity} messages pile up is cut off, not waited for:
 * {@link #offer} closes it, and its writer ends the connection saying why (the client reconnects and knows
 * it missed messages, rather than silently losing some).
 */
public final class Subscription {
    /** What {@link #take} answers when the wait passed without a message: time for a keepalive. */
    public static final RealtimeMessage NONE = null;

    private final String id;
    private final ArrayBlockingQueue<RealtimeMessage> buffer;
    private final int capacity;
    private final Set<Topic> topics = ConcurrentHashMap.newKeySet();
    private final AtomicReference<String> closedBecause = new AtomicReference<>();
    private volatile Runnable onClose = () -> { };
    /** Wakes a writer parked in {@link #take} when the subscription is closed. */
    private static final RealtimeMessage WAKE = RealtimeMessage.data("", "", null, null, null);

    Subscription(String id, int capacity) {
        this.id = id;
        this.capacity = capacity;
        this.buffer = new ArrayBlockingQueue<>(capacity + 1);
    }

    public String id() {
        return id;
    }

    public Set<Topic> topics() {
        return Set.copyOf(topics);
    }

    void listen(Iterable<Topic> more) {
        more.forEach(topics::add);
    }

    void ignore(Iterable<Topic> less) {
        less.forEach(topics::remove);
    }

    boolean wants(Topic t) {
        return topics.contains(t);
    }

    /** Buffers a message for the writer; a full buffer closes the subscription instead. Never blocks. */
    void offer(RealtimeMessage m) {
        if (closedBecause.get() != null) {
            return;
        }
        if (buffer.size() >= capacity || !buffer.offer(m)) {
            close("subscriber too slow: " + capacity + " messages were waiting to be sent; reconnect");
        }
    }

    /**
     * The next message, waiting at most {@code wait}; {@link #NONE} when none came (send a keepalive).
     *
     * @throws Closed when the subscription is closed and nothing is left to send
     */
    public RealtimeMessage take(Duration wait) throws Closed, InterruptedException {
        String why = closedBecause.get();
        if (why != null) {
            throw new Closed(why);
        }
        RealtimeMessage m = buffer.poll(wait.toNanos(), TimeUnit.NANOSECONDS);
        if (m == WAKE || closedBecause.get() != null) {
            throw new Closed(closedBecause.get());
        }
        return m;
    }

    /**
     * What to do once the subscription is closed, besides waking its writer: the transport ends the
     * connection if the writer is stuck in a write to a client that stopped reading.
     */
    public void onClose(Runnable action) {
        this.onClose = action;
    }

    /** Ends the subscription: the writer stops at its next {@link #take}. The first reason stays. */
    public void close(String why) {
        if (closedBecause.compareAndSet(null, why)) {
            buffer.clear();
            buffer.offer(WAKE);
            onClose.run();
        }
    }

    public boolean isClosed() {
        return closedBecause.get() != null;
    }

    /** The subscription has ended; the message says why (closed by the client, the server, or cut off as too slow). */
    public static final class Closed extends Exception {
        Closed(String why) {
            super(why, null, false, false);
        }
    }
}
