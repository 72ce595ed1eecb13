package dev.loomstep.testkit;

/**
 * A test's fixtures closed after it: each one that was started (the rest are null), in the order given,
 * and all of them even when one fails to close; the first failure is thrown then, the others suppressed
 * in it.
 */
public final class Teardown {
    private Teardown() {}

    /** Closes every non-null {@code fixture}, in order; see the class comment for failures. */
    public static void closeAll(AutoCloseable... fixtures) {
        RuntimeException first = null;
        for (AutoCloseable fixture : fixtures) {
            if (fixture == null) {
                continue;
            }
            try {
                fixture.close();
            } catch (Exception e) {
                RuntimeException failure = e instanceof RuntimeException r ? r : new IllegalStateException("closing " + fixture + " failed", e);
                if (first == null) {
                    first = failure;
                } else {
                    first.addSuppressed(failure);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
