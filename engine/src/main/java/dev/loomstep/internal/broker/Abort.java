package dev.loomstep.internal.broker;

/**
 * Unwinds a branch whose run already has its answer. An {@link Error} so that {@code catch (Exception e)}
 * in user code does not swallow it; allocated once, without a stack trace, because unwinding a
 * thousand branches must stay cheap.
 */
public final class Abort extends Error {
    public static final Abort INSTANCE = new Abort();

    private Abort() {
        super("the run's answer is decided; this branch is being unwound", null, false, false);
    }
}
