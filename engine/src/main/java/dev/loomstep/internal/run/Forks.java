package dev.loomstep.internal.run;

import dev.loomstep.Settled;
import dev.loomstep.internal.broker.Branch;
import dev.loomstep.internal.broker.Broker;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * The step tools that fork: {@code parallel} (fail-fast), {@code parallelSettled} and {@code race}. Each
 * runs its branches as child branches on the run's broker (see {@link Broker.Join} for when a fork is
 * over) and turns the children's outcomes into the tool's result.
 */
final class Forks {
    private final Broker broker;

    Forks(Broker broker) {
        this.broker = broker;
    }

    /** {@code step.parallel}: fails fast with the first branch's exception. */
    @SuppressWarnings("unchecked")
    <T> List<T> parallel(Branch self, List<? extends Callable<? extends T>> branches) {
        Forked forked = fork(self, branches, Broker.Join.FAIL_FAST);
        for (Branch child : forked.children) {
            if (child.failure() != null) {
                throw rethrown(child.failure());
            }
        }
        return (List<T>) Arrays.asList(forked.results);
    }

    /** {@code step.parallelSettled}: every branch to its end, one {@link Settled} each. */
    @SuppressWarnings("unchecked")
    <T> List<Settled<T>> parallelSettled(Branch self, List<? extends Callable<? extends T>> branches) {
        Forked forked = fork(self, branches, Broker.Join.ALL_SETTLED);
        var out = new ArrayList<Settled<T>>(forked.children.size());
        for (Branch child : forked.children) {
            Throwable t = child.failure();
            if (t instanceof Error e) {
                throw e;
            }
            Throwable cause = t instanceof RunExecution.WrappedCheckedException w ? w.getCause() : t;
            out.add(t == null ? new Settled.Value<>((T) forked.results[child.index()]) : new Settled.Failure<>((Exception) cause));
        }
        return out;
    }

    /** {@code step.race}: the result (or exception) of the branch the executor saw finish first. */
    @SuppressWarnings("unchecked")
    <T> T race(Branch self, List<? extends Callable<? extends T>> branches) {
        requireNonNull(branches, "the race's branches");
        if (branches.isEmpty()) {
            throw new IllegalArgumentException("a race needs at least one branch");
        }
        Forked forked = fork(self, branches, Broker.Join.RACE);
        Branch winner = Broker.raceWinner(forked.children);
        forked.self.settledAt(winner.settledAt());
        if (winner.failure() != null) {
            throw rethrown(winner.failure());
        }
        return (T) forked.results[winner.index()];
    }

    private record Forked(Branch self, List<Branch> children, Object[] results) {}

    /** Runs the branches as children of the calling branch; each child's exception stays on its branch. */
    private Forked fork(Branch self, List<? extends Callable<?>> branches, Broker.Join join) {
        requireNonNull(branches, "the parallel branches");
        int n = branches.size();
        Object[] results = new Object[n];
        var bodies = new ArrayList<Runnable>(n);
        for (int i = 0; i < n; i++) {
            int at = i;
            Callable<?> c = branches.get(i);
            requireNonNull(c, "branch " + i);
            bodies.add(() -> {
                try {
                    results[at] = c.call();
                } catch (RuntimeException | Error e) {
                    throw e;
                } catch (Exception e) {
                    throw new RunExecution.WrappedCheckedException(e);
                }
            });
        }
        List<Branch> children = broker.fork(self, bodies, join);
        if (self.inRace()) {
            // A race around this fork compares how late its branches settled: the kept children's steps count.
            for (Branch child : children) {
                if (!child.abandoned()) {
                    self.settledAt(child.settledAt());
                }
            }
        }
        return new Forked(self, children, results);
    }

    private static RuntimeException rethrown(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new RunExecution.WrappedCheckedException((Exception) t);
    }

    private static void requireNonNull(Object value, String what) {
        if (value == null) {
            throw new IllegalArgumentException(what + " must not be null");
        }
    }
}
