package dev.loomstep.internal.broker;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The run's continuation broker. Branches take turns holding a single baton, in a fixed order, so a
 * run is deterministic (step-id repeat counters, op order) however the threads are scheduled. A
 * branch gives the baton away only when it parks on a new step, waits for its children, or finishes;
 * when nobody is left to take it, every branch is parked or finished and the broker calls
 * {@link Listener#quiescent()} on that same thread. No polling, no platform thread waiting.
 *
 * <p>All state here is touched only by the baton holder; the hand-off ({@code volatile} signal plus
 * park/unpark) orders those accesses, so no lock is needed.
 */
public final class Broker {

    /** Told when the run can go no further in this request. */
    public interface Listener {
        /** Every branch is parked or finished. Runs on the thread that gave the baton up last. */
        void quiescent();

        /** A branch finished; {@code failure} is null when it returned normally. */
        void branchFinished(Branch branch, Throwable failure);
    }

    private final Listener listener;
    private final ArrayDeque<Branch> ready = new ArrayDeque<>();
    private final List<Branch> parked = new ArrayList<>();
    private final List<Branch> joining = new ArrayList<>();
    /** Branches running their step bodies side by side (see {@link #executeTogether}). */
    private final List<Branch> executing = new ArrayList<>();
    private volatile boolean decided;
    /** Set by the baton holder when a fork drops branches. */
    private boolean abandonedAny;
    private Branch root;

    /** Who this broker reports to (the run execution), for code that finds its run from the current branch. */
    public Listener listener() {
        return listener;
    }

    public Broker(Listener listener) {
        this.listener = listener;
    }

    /**
     * Starts the function holding the baton: on the calling thread when that is a virtual thread (the
     * HTTP adapter's case; returns once the root branch finished or unwound, though a fan-out's last
     * branch may still be deciding the answer), else on a new virtual thread (returns at once).
     */
    public Branch start(Runnable function) {
        root = new Branch(this, null, 0, function, false);
        if (Thread.currentThread().isVirtual()) {
            root.runInline();
        } else {
            root.give(Branch.Signal.RUN);
        }
        return root;
    }

    public Branch root() {
        return root;
    }

    /** Branches parked on a new step, in the order they parked. */
    public List<Branch> parked() {
        return parked;
    }

    public static Object opOf(Branch b) {
        return b.parkedOn;
    }

    /** True once the answer is decided; steps then unwind instead of parking. */
    public boolean decided() {
        return decided;
    }

    /**
     * Parks the calling branch on {@code op} and passes the baton on. Returns {@link Branch.Signal#EXECUTE}
     * if the broker wants the step executed here; throws {@link Abort} when the run is answered.
     */
    public Branch.Signal park(Branch self, Object op) {
        if (decided) {
            throw Abort.INSTANCE;
        }
        self.parkedOn = op;
        parked.add(self);
        passBaton();
        Branch.Signal s = self.await();
        if (s == Branch.Signal.ABORT) {
            throw Abort.INSTANCE;
        }
        return s;
    }

    /** How a fork waits for its children. */
    public enum Join {
        /** Every child finishes, whatever happens to its siblings ({@code Promise.allSettled}). */
        ALL_SETTLED,
        /**
         * Every child finishes, but the first that throws ends the fork at once and its siblings are
         * abandoned ({@code Promise.all}, {@code ShutdownOnFailure}).
         */
        FAIL_FAST,
        /**
         * The first child to finish or throw, in the executor's completion order, ends the fork; its siblings
         * are abandoned ({@code Promise.race}). Decided once every child finished or parked, so that the
         * child the executor saw settle first wins, not the first to be replayed.
         */
        RACE
    }

    /**
     * Runs {@code bodies} as child branches of {@code self}, in order, and returns when {@code join} says
     * the fork is over. Children that park leave {@code self} waiting until a later request. Children the
     * fork abandoned are unwound and never report again.
     */
    public List<Branch> fork(Branch self, List<Runnable> bodies, Join join) {
        if (decided) {
            throw Abort.INSTANCE;
        }
        var children = new ArrayList<Branch>(bodies.size());
        boolean race = self.inRace || join == Join.RACE;
        for (int i = 0; i < bodies.size(); i++) {
            Branch child = new Branch(this, self, i, bodies.get(i), race);
            child.fork = children;
            children.add(child);
        }
        if (children.isEmpty()) {
            return children;
        }
        self.join = join;
        self.children = children;
        self.pendingChildren = children.size();
        ready.addAll(children);
        joining.add(self);
        passBaton();
        if (self.await() == Branch.Signal.ABORT) {
            throw Abort.INSTANCE;
        }
        return children;
    }

    void finished(Branch b, Throwable failure) {
        if (decided || b.abandoned) {
            // An abandoned branch that swallowed its unwinding holds no baton: it must not touch the run.
            return;
        }
        b.finished = true;
        b.failure = failure;
        listener.branchFinished(b, failure);
        Branch parent = b.parent;
        if (parent != null) {
            if (failure != null && parent.join == Join.FAIL_FAST) {
                abandonSiblingsOf(parent, b, Integer.MAX_VALUE);
                resume(parent);
            } else if (--parent.pendingChildren == 0) {
                resume(parent);
            }
        }
        passBaton();
    }

    private void passBaton() {
        Branch next = ready.poll();
        if (next == null && resolveRace()) {
            next = ready.poll();
        }
        if (next != null) {
            next.give(Branch.Signal.RUN);
        } else {
            listener.quiescent();
        }
    }

    private void resume(Branch parent) {
        parent.pendingChildren = 0;
        joining.remove(parent);
        ready.add(parent);
    }

    /**
     * Everything else is parked or finished: a race with a finished child is decided now (the latest
     * joined first, so an inner race settles before the race around it) and its parent resumes.
     */
    private boolean resolveRace() {
        for (int i = joining.size() - 1; i >= 0; i--) {
            Branch parent = joining.get(i);
            Branch winner = parent.join == Join.RACE ? raceWinner(parent.children) : null;
            if (winner != null) {
                abandonSiblingsOf(parent, winner, winner.settledAt);
                resume(parent);
                return true;
            }
        }
        return false;
    }

    /**
     * The child of a race that the executor saw settle first: the finished one whose memoized steps end
     * earliest in {@code ctx.stack}, the first in order on a tie; null while none finished.
     */
    public static Branch raceWinner(List<Branch> children) {
        Branch winner = null;
        for (Branch c : children) {
            if (c.finished && (winner == null || c.settledAt < winner.settledAt)) {
                winner = c;
            }
        }
        return winner;
    }

    /** Drops every unfinished child of {@code parent} but {@code keep}, with all their descendants. */
    private void abandonSiblingsOf(Branch parent, Branch keep, int decidedAt) {
        for (Branch child : parent.children) {
            if (child != keep && !child.finished) {
                abandon(child, decidedAt);
            }
        }
    }

    /**
     * Abandons a subtree: its branches never run user code again. A branch parked on a step it found before
     * the fork was decided (its memoized steps all settled by {@code decidedAt} in {@code ctx.stack}) stays
     * listed until the answer is decided, so that step is still reported in this request, as the JS SDK
     * reports a losing promise's step: the executor knew it already and plans it once. A step found only
     * after the decision is dropped: the branch stops there for good. The rest unwind now.
     */
    private void abandon(Branch subtree, int decidedAt) {
        for (var it = parked.iterator(); it.hasNext(); ) {
            Branch b = it.next();
            if (b.within(subtree)) {
                b.abandoned = true;
                if (lastSettled(b, subtree) > decidedAt) {
                    it.remove();
                    unwind(b);
                }
            }
        }
        for (var it = joining.iterator(); it.hasNext(); ) {
            Branch b = it.next();
            if (b.within(subtree)) {
                it.remove();
                unwind(b);
            }
        }
        for (var it = ready.iterator(); it.hasNext(); ) {
            Branch b = it.next();
            if (b.within(subtree)) {
                it.remove();
                unwind(b);
            }
        }
        subtree.abandoned = true;
        abandonedAny = true;
    }

    /** Whether a race or a fail-fast fork dropped branches in this call (their state stays unused). */
    public boolean abandonedAny() {
        return abandonedAny;
    }

    /** The latest stack position settled on the path from {@code b} up to {@code top}. */
    private static int lastSettled(Branch b, Branch top) {
        int max = -1;
        for (Branch x = b; x != null; x = x.parent) {
            max = Math.max(max, x.settledAt);
            if (x == top) {
                break;
            }
        }
        return max;
    }

    /** A branch that never started is simply forgotten; a started one is woken to unwind. */
    private void unwind(Branch b) {
        b.abandoned = true;
        if (b.started()) {
            b.give(Branch.Signal.ABORT);
        }
    }

    /** Wakes a parked branch to execute the step it is parked on. Only from {@link Listener#quiescent()}. */
    public void execute(Branch b) {
        parked.remove(b);
        b.give(Branch.Signal.EXECUTE);
    }

    /**
     * Wakes parked branches to execute the steps they are parked on side by side, without the baton: while
     * they run nobody holds it. Only from {@link Listener#quiescent()}. Whoever sees the last of them end
     * takes the baton over and calls {@link #resumeTogether} (or {@link #decide}); each of them then waits
     * for its turn in {@link #awaitTurn}.
     */
    public void executeTogether(List<Branch> branches) {
        var set = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<Branch, Boolean>(branches.size() * 2));
        set.addAll(branches);
        parked.removeIf(set::contains);
        executing.addAll(branches);
        for (Branch b : branches) {
            b.give(Branch.Signal.EXECUTE_TOGETHER);
        }
    }

    /**
     * After {@link #executeTogether}: the executed branches go on, in the order given, taking turns with the
     * baton as before. Called by the thread that holds the baton in their place; that thread must then
     * wait in {@link #awaitTurn} (when it is one of them) or return.
     */
    public void resumeTogether(List<Branch> branches) {
        executing.clear();
        ready.addAll(branches);
        passBaton();
    }

    /** Waits until the calling branch holds the baton again; throws {@link Abort} when the run is answered. */
    public void awaitTurn(Branch self) {
        if (self.await() == Branch.Signal.ABORT) {
            throw Abort.INSTANCE;
        }
    }

    /**
     * Marks the answer decided and unwinds every waiting branch except {@code except} (the caller's own
     * branch, which unwinds by throwing). Idempotent.
     */
    public void decide(Branch except) {
        if (decided) {
            return;
        }
        decided = true;
        for (Branch b : parked) {
            if (b != except) {
                b.give(Branch.Signal.ABORT);
            }
        }
        for (Branch b : joining) {
            if (b != except) {
                b.give(Branch.Signal.ABORT);
            }
        }
        for (Branch b : executing) {
            if (b != except) {
                b.give(Branch.Signal.ABORT);
            }
        }
        parked.clear();
        joining.clear();
        executing.clear();
    }
}
