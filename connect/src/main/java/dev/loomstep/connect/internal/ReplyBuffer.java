package dev.loomstep.connect.internal;

import dev.loomstep.connect.protocol.SDKResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every reply the worker has produced and the gateway has not confirmed. A reply sent over the socket is
 * <em>pending</em> until its WORKER_REPLY_ACK; one whose socket is gone, or whose ack did not come in
 * time, is <em>buffered</em> and delivered over HTTP ({@code /v0/connect/flush}), retried with backoff as
 * the JS worker's buffer does, and kept until the API confirms it. No reply is dropped while the process lives.
 */
public final class ReplyBuffer {
    private static final Logger log = LoggerFactory.getLogger("dev.loomstep.connect.LoomstepConnect");
    private static final int FLUSH_ROUNDS = 5;

    private record Pending(SDKResponse reply, long deadlineNanos) {}

    private final Map<String, Pending> pending = new LinkedHashMap<>();
    private final Map<String, SDKResponse> buffered = new LinkedHashMap<>();
    private final ReentrantLock flushing = new ReentrantLock();
    private final ApiClient api;
    private final Duration ackDeadline;
    private final WorkerOptions options;

    public ReplyBuffer(ApiClient api, WorkerOptions options) {
        this.api = api;
        this.options = options;
        this.ackDeadline = options.ackDeadline();
    }

    public synchronized void sent(SDKResponse reply) {
        pending.put(reply.getRequestId(), new Pending(reply, System.nanoTime() + ackDeadline.toNanos()));
    }

    public synchronized void buffer(SDKResponse reply) {
        pending.remove(reply.getRequestId());
        buffered.put(reply.getRequestId(), reply);
    }

    public synchronized void acknowledged(String requestId) {
        pending.remove(requestId);
        notifyAll();
    }

    /** Moves every pending reply whose ack is overdue (or all of them) to the buffer; true when any moved. */
    public synchronized boolean expire(boolean all) {
        long now = System.nanoTime();
        boolean moved = false;
        for (var it = pending.values().iterator(); it.hasNext(); ) {
            Pending p = it.next();
            if (all || now - p.deadlineNanos() >= 0) {
                it.remove();
                buffered.put(p.reply().getRequestId(), p.reply());
                log.warn("reply to request {} was not acknowledged by the gateway; delivering it over HTTP", p.reply().getRequestId());
                moved = true;
            }
        }
        return moved;
    }

    /** Waits until no reply is pending or the deadline passes. */
    public synchronized void awaitAcks(Duration max) throws InterruptedException {
        long end = System.nanoTime() + max.toNanos();
        while (!pending.isEmpty()) {
            long left = end - System.nanoTime();
            if (left <= 0) {
                return;
            }
            wait(Math.max(1, left / 1_000_000));
        }
    }

    public synchronized int size() {
        return pending.size() + buffered.size();
    }

    public synchronized boolean hasBuffered() {
        return !buffered.isEmpty();
    }

    /**
     * Delivers every buffered reply over HTTP: up to five rounds with backoff between them; what is still
     * undelivered after that stays buffered for the next flush. One flush at a time.
     */
    public void flush() throws InterruptedException {
        flushing.lockInterruptibly();
        try {
            for (int round = 0; round < FLUSH_ROUNDS; round++) {
                List<SDKResponse> batch;
                synchronized (this) {
                    batch = List.copyOf(buffered.values());
                }
                if (batch.isEmpty()) {
                    return;
                }
                log.info("flushing {} repl{} over HTTP", batch.size(), batch.size() == 1 ? "y" : "ies");
                for (SDKResponse reply : batch) {
                    try {
                        api.flush(reply.toByteArray());
                        synchronized (this) {
                            buffered.remove(reply.getRequestId(), reply);
                        }
                    } catch (java.io.IOException e) {
                        log.warn("flush of the reply to request {} failed: {}", reply.getRequestId(), e.getMessage());
                        break;
                    }
                }
                synchronized (this) {
                    if (buffered.isEmpty()) {
                        return;
                    }
                }
                Thread.sleep(options.backoff(round, Math.random()).toMillis());
            }
            log.error("{} repl{} could not be flushed after {} rounds; kept for the next flush", size(), size() == 1 ? "y" : "ies",
                    FLUSH_ROUNDS);
        } finally {
            flushing.unlock();
        }
    }
}
