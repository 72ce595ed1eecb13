package dev.loomstep.internal.run;

import dev.loomstep.internal.broker.Branch;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One round of a fan-out run inside the request: the branches parked on {@code step.run} steps execute
 * their bodies side by side, each on its own virtual thread, at most {@code parallelSteps} at a time.
 * Whoever finishes last takes the baton and decides what happens next (see
 * {@code RunExecution.endFanOut}). The round is a barrier on purpose: every branch then goes on in the
 * broker's fixed order, so op order and step-id repeat counters are the same as when the executor ran
 * the branches one call at a time.
 */
final class FanOut {

    /** A branch of the round, the step it runs and, once run, what came out. */
    static final class Slot {
        final Branch branch;
        final PendingStep step;
        /** Written by the branch's thread before it counts down; read by the last one after. */
        Output out;

        Slot(Branch branch, PendingStep step) {
            this.branch = branch;
            this.step = step;
        }
    }

    private final List<Slot> slots;
    private final Map<Branch, Slot> byBranch;
    private final AtomicInteger running;
    private final Semaphore bodies;
    /**
     * Middleware hooks are written for one request's thread: around bodies running side by side they are
     * called one at a time (the bodies themselves are not serialised).
     */
    final ReentrantLock hooks = new ReentrantLock();

    FanOut(List<Branch> branches, List<PendingStep> steps, int parallelSteps) {
        slots = new ArrayList<>(branches.size());
        byBranch = new IdentityHashMap<>(branches.size() * 2);
        for (int i = 0; i < branches.size(); i++) {
            var slot = new Slot(branches.get(i), steps.get(i));
            slots.add(slot);
            byBranch.put(slot.branch, slot);
        }
        running = new AtomicInteger(slots.size());
        bodies = new Semaphore(Math.max(1, parallelSteps));
    }

    List<Slot> slots() {
        return slots;
    }

    List<Branch> branches() {
        var out = new ArrayList<Branch>(slots.size());
        for (Slot s : slots) {
            out.add(s.branch);
        }
        return out;
    }

    Slot slotOf(Branch b) {
        return byBranch.get(b);
    }

    /** Waits for one of the {@code parallelSteps} places. */
    void enter() {
        bodies.acquireUninterruptibly();
    }

    void leave() {
        bodies.release();
    }

    /** Counts a branch's body as ended; true for the last one, which then holds the baton. */
    boolean ended() {
        return running.decrementAndGet() == 0;
    }

    /** The first slot, in branch order, whose step threw; null when every one succeeded. */
    Slot firstFailed() {
        for (Slot s : slots) {
            if (s.out.error != null) {
                return s;
            }
        }
        return null;
    }
}
