package dev.loomstep.devserver.executor;

import dev.loomstep.devserver.internal.Ulid;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The SDK calls in flight, by queue item: what the executor told the SDK
 * ({@code ctx.fn_id}, {@code ctx.qi_id}, {@code X-Request-Id}, {@code X-Inngest-Generation-Id}) so that a
 * checkpoint can be matched to the call it belongs to, and refused once that call is over.
 *
 * <p>Kept in memory on purpose: after a restart no call is in flight, so a checkpoint from an SDK request
 * made before the restart is stale (the queue item is called again, with a new request id).
 */
public final class Dispatches {
    private final ConcurrentHashMap<Long, Dispatch> byItem = new ConcurrentHashMap<>();
    private final AtomicLong generations = new AtomicLong();

    /**
     * One call to the SDK. Its lock is held while a checkpoint of the call commits and when the call
     * ends, so once {@link #end} returns no checkpoint of it is committing or will be accepted.
     */
    public static final class Dispatch {
        private final String runId;
        private final long queueItemId;
        private final int attempt;
        private final String fnId;
        /** The function's id as synced ({@link #fnId} is the UUID sent to the SDK). */
        private final String functionId;
        private final long generation;
        private final String requestId;
        private final long startedAt;
        private final ReentrantLock lock = new ReentrantLock();
        private boolean ended;
        private volatile long lastCheckpointAt; // read by the call's thread once it answered
        /** The run's state as counted for Inngest's 32 MiB limit: the call's, plus what its checkpoints added. */
        private volatile long stateBytes;

        Dispatch(String runId, long queueItemId, int attempt, String functionId, long generation, String requestId, long startedAt) {
            this.functionId = functionId;
            this.fnId = fnUuid(functionId);
            this.runId = runId;
            this.queueItemId = queueItemId;
            this.attempt = attempt;
            this.generation = generation;
            this.requestId = requestId;
            this.startedAt = startedAt;
            this.lastCheckpointAt = startedAt;
        }

        public String runId() {
            return runId;
        }

        /** The queue item being worked ({@code ctx.qi_id}, as a decimal string on the wire). */
        public long queueItemId() {
            return queueItemId;
        }

        public int attempt() {
            return attempt;
        }

        /** The function's stable UUID ({@code ctx.fn_id}). */
        public String fnId() {
            return fnId;
        }

        /** Unique per call in this process ({@code X-Inngest-Generation-Id}). */
        public long generation() {
            return generation;
        }

        /** Unique per call ({@code X-Request-Id}, a ULID). */
        public String requestId() {
            return requestId;
        }

        public long startedAt() {
            return startedAt;
        }

        /** When the previous checkpoint of this call was committed (the call's start before the first). */
        long lastCheckpointAt() {
            return lastCheckpointAt;
        }

        void checkpointed(long at) {
            lastCheckpointAt = at;
        }

        ReentrantLock lock() {
            return lock;
        }

        long stateBytes() {
            return stateBytes;
        }

        void stateBytes(long bytes) {
            stateBytes = bytes;
        }

        boolean ended() {
            return ended;
        }
    }

    /** The UUID sent as {@code ctx.fn_id} for a function: Inngest sends its internal function UUID there. */
    public static String fnUuid(String functionId) {
        return UUID.nameUUIDFromBytes(("loomstep-devserver/fn/" + functionId).getBytes(StandardCharsets.UTF_8)).toString();
    }

    /** Registers a call about to be made; it replaces any earlier call of the item (which is then stale). */
    public Dispatch begin(String runId, long queueItemId, int attempt, String functionId, long now) {
        var d = new Dispatch(runId, queueItemId, attempt, functionId, generations.incrementAndGet(), Ulid.next(), now);
        byItem.put(queueItemId, d);
        return d;
    }

    /** The call has answered (or failed): from now on its checkpoints are stale. */
    public void end(Dispatch d) {
        d.lock.lock();
        try {
            d.ended = true;
            byItem.remove(d.queueItemId, d);
        } finally {
            d.lock.unlock();
        }
    }

    /** The calls in flight now by function id (as synced); it walks the calls, which the queue bounds. */
    public Map<String, Integer> inFlightByFunction() {
        var out = new HashMap<String, Integer>();
        for (Dispatch d : byItem.values()) {
            out.merge(d.functionId, 1, Integer::sum);
        }
        return out;
    }

    /** The call in flight for a queue item, if any. */
    public Optional<Dispatch> current(long queueItemId) {
        return Optional.ofNullable(byItem.get(queueItemId));
    }
}
