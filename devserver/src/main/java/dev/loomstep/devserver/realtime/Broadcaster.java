package dev.loomstep.devserver.realtime;

import dev.loomstep.realtime.RealtimeMessage;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * In-memory fan-out of realtime messages to the subscriptions listening to their channel and topic. A
 * publish copies the message into each matching subscription's bounded buffer and returns; it never waits
 * for a socket. It also keeps the last {@value #RUN_HISTORY} messages each run published (for the last
 * {@value #RUNS_KEPT} runs) so the run page can show what was sent before it was opened.
 */
public final class Broadcaster {
    /** Messages buffered per subscriber before it is cut off as too slow. */
    public static final int DEFAULT_BUFFER = 1024;
    static final int RUN_HISTORY = 100;
    static final int RUNS_KEPT = 500;

    private final Map<Topic, Set<Subscription>> byTopic = new ConcurrentHashMap<>();
    private final Map<String, Set<Subscription>> byRun = new ConcurrentHashMap<>();
    private final Set<Subscription> all = ConcurrentHashMap.newKeySet();
    private final int buffer;
    private final ReentrantLock historyLock = new ReentrantLock();
    private final Map<String, Deque<RealtimeMessage>> history = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Deque<RealtimeMessage>> eldest) {
            return size() > RUNS_KEPT;
        }
    };
    private volatile boolean closed;

    public Broadcaster(int buffer) {
        if (buffer < 1) {
            throw new IllegalArgumentException("a subscriber's buffer must hold at least one message, got " + buffer);
        }
        this.buffer = buffer;
    }

    /** A subscription to {@code topics}; its writer must {@link #unsubscribe} it when the connection ends. */
    public Subscription subscribe(List<Topic> topics) {
        Subscription s = open();
        add(s, topics);
        return s;
    }

    /** Adds topics to a live subscription (a WebSocket {@code sub} message with another token). */
    public void add(Subscription s, List<Topic> topics) {
        s.listen(topics);
        for (Topic t : topics) {
            byTopic.computeIfAbsent(t, k -> ConcurrentHashMap.newKeySet()).add(s);
        }
    }

    /** Removes topics from a live subscription. */
    public void remove(Subscription s, List<Topic> topics) {
        s.ignore(topics);
        for (Topic t : topics) {
            Set<Subscription> subs = byTopic.get(t);
            if (subs != null) {
                subs.remove(s);
            }
        }
    }

    /** A subscription to every message of run {@code runId} (the UI's run page), starting with what it already published. */
    public Subscription watchRun(String runId) {
        Subscription s = open();
        byRun.computeIfAbsent(runId, k -> ConcurrentHashMap.newKeySet()).add(s);
        historyLock.lock();
        try {
            Deque<RealtimeMessage> past = history.get(runId);
            if (past != null) {
                past.forEach(s::offer);
            }
        } finally {
            historyLock.unlock();
        }
        return s;
    }

    private Subscription open() {
        if (closed) {
            throw new IllegalStateException("the realtime broadcaster is shut down");
        }
        Subscription s = new Subscription(UUID.randomUUID().toString(), buffer);
        all.add(s);
        return s;
    }

    public void unsubscribe(Subscription s, String why) {
        s.close(why);
        all.remove(s);
        for (Topic t : s.topics()) {
            Set<Subscription> subs = byTopic.get(t);
            if (subs != null) {
                subs.remove(s);
                if (subs.isEmpty()) {
                    byTopic.remove(t, subs);
                }
            }
        }
        byRun.values().forEach(subs -> subs.remove(s));
    }

    /** Hands {@code m} to every subscription of its channel and topic (and the run's watchers); returns how many. */
    public int publish(RealtimeMessage m) {
        int n = 0;
        Set<Subscription> subs = byTopic.get(new Topic(m.channel(), m.topic()));
        if (subs != null) {
            for (Subscription s : subs) {
                s.offer(m);
                n++;
            }
        }
        if (m.runId() != null && m.kind() != RealtimeMessage.Kind.CHUNK) {
            remember(m);
            Set<Subscription> watchers = byRun.get(m.runId());
            if (watchers != null) {
                watchers.forEach(s -> s.offer(m));
            }
        }
        return n;
    }

    /** The messages run {@code runId} published that are still kept, oldest first. */
    public List<RealtimeMessage> history(String runId) {
        historyLock.lock();
        try {
            Deque<RealtimeMessage> past = history.get(runId);
            return past == null ? List.of() : new ArrayList<>(past);
        } finally {
            historyLock.unlock();
        }
    }

    private void remember(RealtimeMessage m) {
        historyLock.lock();
        try {
            Deque<RealtimeMessage> past = history.computeIfAbsent(m.runId(), k -> new ArrayDeque<>());
            past.addLast(m);
            if (past.size() > RUN_HISTORY) {
                past.removeFirst();
            }
        } finally {
            historyLock.unlock();
        }
    }

    /** How many subscriptions are open. */
    public int subscribers() {
        return all.size();
    }

    /** Closes every subscription (the server is stopping). */
    public void close() {
        closed = true;
        for (Subscription s : List.copyOf(all)) {
            unsubscribe(s, "the server is shutting down");
        }
    }
}
