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
    private volatile boolean decided;
    private Branch root;

    public Broker(Listener listener) {
        this.listener = listener;
    }

    /**
     * Starts the function holding the baton: on the calling thread when that is a virtual thread (the
     * HTTP adapter's case; returns once the root branch finished or unwound, though a fan-out's last
     * branch may still be deciding the answer), else on a new virtual thread (returns at once).
     */
    public Branch start(Runnable function) {
        root = new Branch(this, null, 0, function);
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

    /**
     * Runs {@code bodies} as child branches of {@code self}, in order, and returns when all of them
     * finished. Children that park leave {@code self} waiting until a later request.
     */
    public List<Branch> fork(Branch self, List<Runnable> bodies) {
        if (decided) {
            throw Abort.INSTANCE;
        }
        var children = new ArrayList<Branch>(bodies.size());
        for (int i = 0; i < bodies.size(); i++) {
            children.add(new Branch(this, self, i, bodies.get(i)));
        }
        if (children.isEmpty()) {
            return children;
        }
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
        if (decided) {
            return;
        }
        listener.branchFinished(b, failure);
        Branch parent = b.parent;
        if (parent != null && --parent.pendingChildren == 0) {
            joining.remove(parent);
            ready.add(parent);
        }
        passBaton();
    }

    private void passBaton() {
        Branch next = ready.poll();
        if (next != null) {
            next.give(Branch.Signal.RUN);
        } else {
            listener.quiescent();
        }
    }

    /** Wakes a parked branch to execute the step it is parked on. Only from {@link Listener#quiescent()}. */
    public void execute(Branch b) {
        parked.remove(b);
        b.give(Branch.Signal.EXECUTE);
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
        parked.clear();
        joining.clear();
    }
}
