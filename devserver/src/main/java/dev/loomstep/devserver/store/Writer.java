package dev.loomstep.devserver.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.jctools.queues.atomic.MpscUnboundedAtomicArrayQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Group commit: one writer at a time. Callers hand it units of work through a JCTools MPSC queue and
 * block; the writer thread takes every unit waiting, runs each in a SAVEPOINT of one SQLite
 * transaction (a unit that fails is rolled back alone and its caller gets the exception), commits
 * once, and only then wakes the callers, which run their after-commit actions themselves.
 *
 * <p>It is exactly what the single lock was — one transaction at a time, units never interleave —
 * but a commit (the WAL append, and with {@code synchronous=FULL} the fsync) is paid once per batch
 * instead of once per caller. Batches form by themselves: whatever queues up while one commits
 * goes into the next.
 *
 * <p>The right to write (the <em>writer role</em>) is not tied to the writer thread: a caller that finds
 * the role free and nobody queued takes it and commits its unit on its own thread (flat combining's
 * lone-caller case), so a single run pays no hand-off to another thread and back. Anyone who finds the
 * role taken or a queue already formed queues up, and the writer thread batches them as soon as the
 * role is free again; queued units are never overtaken by a lone caller.
 */
final class Writer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Writer.class);
    /** Bounds the time the first unit of a batch waits for the last. */
    static final int MAX_BATCH = 512;

    /** Work inside a transaction. */
    @FunctionalInterface
    interface Work<T> {
        T run() throws SQLException;
    }

    private final Connection connection;
    private final Statement control;
    private final MpscUnboundedAtomicArrayQueue<Unit<?>> pending = new MpscUnboundedAtomicArrayQueue<>(1024);
    private final Thread thread;
    /**
     * The thread that holds the writer role (the writer thread or a lone caller), null when free, or
     * {@link #CLOSED} for good. Taking it is what orders one holder's use of the connection before the next's.
     */
    private final AtomicReference<Object> owner = new AtomicReference<>();
    private static final Object CLOSED = new Object();
    /** The unit running now; read and written by the holder of the writer role only. */
    private Unit<?> current;
    private volatile boolean parked;
    private volatile boolean stopping;
    private volatile boolean terminated;
    private volatile long commits;
    private volatile Store.CommitListener commitListener;
    private volatile long units;

    Writer(Connection connection, String name) throws SQLException {
        this.connection = connection;
        this.control = connection.createStatement();
        this.thread = Thread.ofPlatform().name(name).daemon().unstarted(this::loop);
        thread.start();
    }

    /**
     * Runs {@code work} in the writer's transaction and returns once it has committed, after running
     * the unit's after-commit actions on this thread. Inside a unit (this thread holds the writer role)
     * it runs inline, in the enclosing unit. When the role is free and nobody is queued it commits on
     * this thread; otherwise it queues for the writer thread.
     */
    <T> T submit(Work<T> work) {
        Thread me = Thread.currentThread();
        if (owner.get() == me) {
            try {
                return work.run();
            } catch (SQLException e) {
                throw new StoreException("database error: " + e.getMessage(), e);
            }
        }
        if (stopping) {
            throw closed();
        }
        var unit = new Unit<>(work, me);
        if (pending.isEmpty() && owner.compareAndSet(null, me)) {
            commitAlone(unit);
        } else {
            pending.offer(unit);
            if (terminated) {
                // The writer may have drained for the last time before our offer: nobody else will answer.
                unit.complete(null, closed());
            } else if (parked) {
                LockSupport.unpark(thread);
            }
        }
        T result;
        try {
            result = unit.await();
        } catch (RuntimeException | Error e) {
            // The unit did not commit: what it did in memory alongside its writes is undone here.
            for (Runnable action : unit.afterRollback) {
                try {
                    action.run();
                } catch (RuntimeException undo) {
                    e.addSuppressed(undo);
                }
            }
            throw e;
        }
        for (Runnable action : unit.afterCommit) {
            action.run();
        }
        return result;
    }

    /** The lone-caller path: this thread holds the role; it commits {@code unit} and hands the role back. */
    private void commitAlone(Unit<?> unit) {
        try {
            runBatch(List.of(unit));
        } catch (Throwable e) {
            // Only an Error gets here; the transaction's state is unknown, so undo it before anyone else writes.
            try {
                connection.rollback();
            } catch (SQLException | RuntimeException rollback) {
                e.addSuppressed(rollback);
            }
            unit.afterCommit.clear();
            unit.complete(null, new StoreException("database error: " + e, e));
        } finally {
            owner.set(null);
            // Units queued while we held the role: the writer thread may be parked waiting for it.
            if (!pending.isEmpty()) {
                LockSupport.unpark(thread);
            }
        }
    }

    void onCommit(Store.CommitListener listener) {
        commitListener = listener;
    }

    /** Inside a unit: defers {@code action} until the unit has committed (dropped if it rolls back). */
    boolean defer(Runnable action) {
        if (owner.get() != Thread.currentThread() || current == null) {
            return false;
        }
        current.afterCommit.add(action);
        return true;
    }

    /** Inside a unit: runs {@code action} if the unit rolls back (dropped if it commits). */
    boolean onRollback(Runnable action) {
        if (owner.get() != Thread.currentThread() || current == null) {
            return false;
        }
        current.afterRollback.add(action);
        return true;
    }

    /** Whether this thread holds the writer role, i.e. is inside a unit. */
    boolean insideUnit() {
        return owner.get() == Thread.currentThread();
    }

    /** Transactions committed so far (each holds one or more units). */
    long commits() {
        return commits;
    }

    /** Units committed or rolled back so far. */
    long units() {
        return units;
    }

    /** Units waiting for the writer. */
    int waiting() {
        return pending.size();
    }

    /** Lets every unit already submitted finish, then stops; later submissions fail. */
    @Override
    public void close() {
        stopping = true;
        LockSupport.unpark(thread);
        boolean interrupted = false;
        while (thread.isAlive()) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        // A lone caller may still be committing on its own thread: the connection is its until it is done.
        while (!owner.compareAndSet(null, CLOSED)) {
            LockSupport.parkNanos(100_000);
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    // ---------------------------------------------------------------- the writer thread

    private void loop() {
        var batch = new ArrayList<Unit<?>>();
        try {
            while (true) {
                if (pending.isEmpty()) {
                    if (stopping) {
                        break;
                    }
                    parked = true;
                    // Re-check after announcing the park: a producer that saw parked == false has offered already.
                    if (pending.isEmpty() && !stopping) {
                        LockSupport.park(this);
                    }
                    parked = false;
                    continue;
                }
                if (!owner.compareAndSet(null, thread)) {
                    // A lone caller is committing; it unparks us when it hands the role back with units queued.
                    if (owner.get() != null) {
                        LockSupport.park(this);
                    }
                    continue;
                }
                try {
                    for (Unit<?> next; batch.size() < MAX_BATCH && (next = pending.poll()) != null; ) {
                        batch.add(next);
                    }
                    runBatch(batch);
                    batch.clear();
                } finally {
                    owner.set(null);
                }
            }
        } catch (Throwable e) {
            // Only an Error gets here (units' own failures go to their callers): nobody may wait forever.
            LOG.error("the devserver's database writer stopped; every later database call fails", e);
            for (Unit<?> unit : batch) {
                unit.complete(null, new StoreException("the database writer stopped: " + e, e));
            }
        } finally {
            terminated = true;
            for (Unit<?> late; (late = pending.poll()) != null; ) {
                late.complete(null, closed());
            }
        }
    }

    private void runBatch(List<Unit<?>> batch) {
        // A lone unit needs no savepoint: its failure rolls back the whole transaction.
        boolean savepoints = batch.size() > 1;
        Throwable fatal = null;
        for (Unit<?> unit : batch) {
            if (fatal != null) {
                break;
            }
            try {
                if (savepoints) {
                    control.execute("SAVEPOINT unit");
                }
                current = unit;
                try {
                    unit.value = unit.work.run();
                } catch (Throwable e) {
                    unit.error = e instanceof SQLException sql
                            ? new StoreException("database error: " + sql.getMessage(), sql) : e;
                    unit.afterCommit.clear();
                } finally {
                    current = null;
                }
                if (savepoints) {
                    if (unit.error != null) {
                        control.execute("ROLLBACK TO unit");
                    }
                    control.execute("RELEASE unit");
                } else if (unit.error != null) {
                    connection.rollback();
                }
            } catch (SQLException | RuntimeException e) {
                fatal = e; // the transaction's state is unknown: none of the batch may count as done
            }
        }
        long commitNanos = -1;
        if (fatal == null) {
            try {
                long started = System.nanoTime();
                connection.commit();
                commitNanos = System.nanoTime() - started;
            } catch (SQLException | RuntimeException e) {
                fatal = e;
            }
        }
        if (fatal != null) {
            LOG.error("a devserver database transaction of {} units failed; all of them are rolled back", batch.size(), fatal);
            try {
                connection.rollback();
            } catch (SQLException e) {
                fatal.addSuppressed(e);
            }
        }
        commits++;
        units += batch.size();
        Store.CommitListener listener = commitListener;
        if (listener != null && commitNanos >= 0) {
            try {
                listener.committed(batch.size(), commitNanos);
            } catch (RuntimeException e) {
                LOG.warn("the commit listener failed; the batch committed regardless", e); // its callers must still wake
            }
        }
        for (Unit<?> unit : batch) {
            if (fatal != null) {
                unit.afterCommit.clear();
                unit.complete(null, new StoreException("database commit failed: " + fatal.getMessage(), fatal));
            } else {
                unit.complete(unit.value, unit.error);
            }
        }
    }

    private static StoreException closed() {
        return new StoreException("the devserver database is closed", null);
    }

    /** One caller's work, its outcome, and the caller to wake. */
    private static final class Unit<T> {
        private static final int PENDING = 0;
        private static final int COMPLETING = 1;
        private static final int DONE = 2;

        final Work<T> work;
        final Thread caller;
        final List<Runnable> afterCommit = new ArrayList<>(2);
        /** Run on the caller's thread when the unit fails; ignored when it commits. */
        final List<Runnable> afterRollback = new ArrayList<>(0);
        /** The outcome while the writer works on the unit; writer thread only. */
        Object value;
        Throwable error;
        /** The outcome handed to the caller: written before {@link #state} becomes DONE, read after. */
        private Object result;
        private Throwable failure;
        private final AtomicInteger state = new AtomicInteger(PENDING);

        Unit(Work<T> work, Thread caller) {
            this.work = work;
            this.caller = caller;
        }

        /** The first completion wins (the writer, or a caller that found the writer gone); later ones are ignored. */
        void complete(Object value, Throwable error) {
            if (state.compareAndSet(PENDING, COMPLETING)) {
                result = value;
                failure = error;
                state.set(DONE);
                if (caller != Thread.currentThread()) {
                    LockSupport.unpark(caller);
                }
            }
        }

        @SuppressWarnings("unchecked")
        T await() {
            boolean interrupted = false;
            // Not interruptible: the unit may commit whatever the caller does, so the caller learns how it ended.
            while (state.get() != DONE) {
                LockSupport.park(this);
                interrupted |= Thread.interrupted();
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            if (failure instanceof RuntimeException e) {
                throw e;
            }
            if (failure instanceof Error e) {
                throw e;
            }
            if (failure != null) {
                throw new StoreException("database error: " + failure.getMessage(), failure);
            }
            return (T) result;
        }
    }
}
