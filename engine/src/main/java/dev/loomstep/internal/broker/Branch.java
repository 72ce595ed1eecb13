package dev.loomstep.internal.broker;

import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.MDC;

/**
 * One path of a run: the function itself, or a branch of a parallel fan-out. Each branch runs on a
 * virtual thread of its own (the root branch on the caller's, when the caller is virtual) and only
 * while it holds the run's baton (see {@link Broker}); otherwise it is parked in {@link #await()}
 * until the broker resumes it.
 *
 * <p>The SLF4J MDC travels with the baton: a branch starts or resumes with a copy of the MDC of the
 * thread that handed it the baton, so a run's log context (as {@code LoggingMiddleware} sets it) follows
 * the run's code from branch to branch. A branch told to abort keeps its own MDC while it unwinds.
 */
public final class Branch {
    private static final Thread.Builder THREADS = Thread.ofVirtual().name("loomstep-branch");
    private static final ThreadLocal<Branch> CURRENT = new ThreadLocal<>();

    final Broker broker;
    final Branch parent;
    final int index;
    final Runnable body;
    private Thread thread;
    private volatile Signal signal;
    /** The giver's MDC, written before {@link #signal} (or the thread start), read by this branch's thread. */
    private Map<String, String> handedMdc;

    /** Children still running, when this branch waits in {@link Broker#fork}. Touched only by the baton holder. */
    int pendingChildren;
    /** The op this branch is parked on; set by the baton holder. */
    Object parkedOn;
    /** How this branch waits for its children in {@link Broker#fork}. Touched only by the baton holder. */
    Broker.Join join;
    /** The children of this branch's current fork. */
    java.util.List<Branch> children = java.util.List.of();
    /** The children list of the fork that made this branch (its siblings and itself); null for the root. */
    java.util.List<Branch> fork;
    /** True once this branch's body returned or threw (not when it was unwound). */
    boolean finished;
    /** What the body threw, when {@link #finished}. */
    Throwable failure;
    /**
     * Dropped by a fail-fast or race fork: it never parks or reports again. Written by the baton holder
     * before it signals the branch to abort, so the branch sees it when it wakes.
     */
    volatile boolean abandoned;
    /** Whether this branch runs inside a race: its steps are reported with {@code parallelMode: "race"}. */
    final boolean inRace;
    /**
     * The latest position in the executor's completion order ({@code ctx.stack}) among the memoized steps
     * this branch (and its kept children) consumed; -1 for none. A race's winner is the child whose position
     * is lowest: the one the executor saw finish first.
     */
    int settledAt = -1;

    Branch(Broker broker, Branch parent, int index, Runnable body, boolean inRace) {
        this.broker = broker;
        this.parent = parent;
        this.index = index;
        this.body = body;
        this.inRace = inRace;
    }

    /** What a parked branch is told to do when it wakes. */
    public enum Signal {
        /** Continue: the step it waited on is resolved (children finished). */
        RUN,
        /** Execute the step it is parked on, in this request. */
        EXECUTE,
        /**
         * Execute the step it is parked on without the baton, side by side with other branches told the
         * same (see {@link Broker#executeTogether}), then wait for the baton again.
         */
        EXECUTE_TOGETHER,
        /** The answer is decided: unwind without running more user code. */
        ABORT
    }

    /** The position of this branch among its siblings (0 for the root). */
    public int index() {
        return index;
    }

    public Branch parent() {
        return parent;
    }

    /** The fork that made this branch, as an identity token shared by its siblings; null for the root. */
    public Object fork() {
        return fork;
    }

    /** Whether this branch runs inside a {@code step.race}, at any depth. */
    public boolean inRace() {
        return inRace;
    }

    /** Whether a fail-fast or race fork dropped this branch. */
    public boolean abandoned() {
        return abandoned;
    }

    /** Whether the body returned or threw. */
    public boolean finished() {
        return finished;
    }

    /** What the body threw, or null. */
    public Throwable failure() {
        return failure;
    }

    /** See {@link #settledAt}. */
    public int settledAt() {
        return settledAt;
    }

    /** Records that this branch consumed a memoized step at {@code position} of the executor's stack. */
    public void settledAt(int position) {
        if (position > settledAt) {
            settledAt = position;
        }
    }

    /** Whether {@code ancestor} is this branch or one of its ancestors. */
    boolean within(Branch ancestor) {
        for (Branch b = this; b != null; b = b.parent) {
            if (b == ancestor) {
                return true;
            }
        }
        return false;
    }

    boolean started() {
        return thread != null;
    }

    /** The branch the calling thread runs, or null when it runs none. */
    public static Branch current() {
        return CURRENT.get();
    }

    public Broker broker() {
        return broker;
    }

    /** Hands this branch the baton: starts its thread the first time, wakes it afterwards. */
    void give(Signal s) {
        if (s != Signal.ABORT) {
            handedMdc = MDC.getCopyOfContextMap();
        }
        if (thread == null) {
            thread = THREADS.unstarted(() -> runBody(true));
            thread.start();
        } else {
            signal = s;
            // A branch that signals itself (it decided the answer, or is told to execute its own
            // step) is not parked; an unpark would leave a stray permit on its thread.
            if (thread != Thread.currentThread()) {
                LockSupport.unpark(thread);
            }
        }
    }

    /**
     * Runs this branch on the calling thread, which must be virtual, until it finishes or unwinds. A
     * request handled on a virtual thread thus runs its function without two thread hand-offs. The
     * caller's MDC is visible to the function and restored as it was when this returns.
     */
    void runInline() {
        thread = Thread.currentThread();
        Branch outer = CURRENT.get();
        Map<String, String> callerMdc = MDC.getCopyOfContextMap();
        try {
            runBody(false);
        } finally {
            setMdc(callerMdc);
            if (outer == null) {
                CURRENT.remove();
            } else {
                CURRENT.set(outer);
            }
        }
    }

    Signal await() {
        Signal s;
        while ((s = signal) == null) {
            LockSupport.park(this);
        }
        signal = null;
        if (s != Signal.ABORT) {
            adoptMdc();
        }
        return s;
    }

    /** Takes over the MDC the baton came with (a no-op for a branch that gave itself the baton). */
    private void adoptMdc() {
        Map<String, String> m = handedMdc;
        handedMdc = null;
        setMdc(m);
    }

    private static void setMdc(Map<String, String> m) {
        if (m == null || m.isEmpty()) {
            MDC.clear();
        } else {
            MDC.setContextMap(m);
        }
    }

    private void runBody(boolean ownThread) {
        Throwable failure = null;
        if (ownThread) {
            adoptMdc();
        }
        CURRENT.set(this);
        try {
            body.run();
        } catch (Abort a) {
            return;
        } catch (Throwable t) {
            failure = t;
        }
        broker.finished(this, failure);
    }
}
