package dev.loomstep.internal.run;

import java.util.List;

/**
 * Watches one call step by step, for the test kit's replay check: which steps the code reaches, in
 * which branch, and whether their recorded output still reads as the type the code asks for. Called
 * by the branch that holds the baton, one call at a time.
 */
public interface ReplayProbe {
    /**
     * The code reached a step.
     *
     * @param id       the user's step id
     * @param hashed   its wire id (the hash of the id and its repeat counter)
     * @param kind     the op kind ({@code step.run}, {@code step.sleep}, …)
     * @param memoized whether the call's state holds it
     * @param lineage  the branches from the run's root to the one that reached the step; opaque tokens,
     *                 equal by identity, so two steps are in sibling branches of a fork when their
     *                 lineages diverge
     */
    void reached(String id, String hashed, String kind, boolean memoized, List<Object> lineage);

    /** The recorded output of step {@code id} no longer reads as {@code type}. */
    void unreadable(String id, String type, RuntimeException error);
}
