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
     * @param lineage  the run's root branch, then for each fork on the way to the branch that reached the
     *                 step a token of the fork followed by the branch; opaque tokens, equal by identity, so
     *                 two steps ran in sibling branches of one fork when their lineages share a prefix
     *                 ending in that fork's token and differ right after it
     */
    void reached(String id, String hashed, String kind, boolean memoized, List<Object> lineage);

    /** The recorded output of step {@code id} no longer reads as {@code type}. */
    void unreadable(String id, String type, RuntimeException error);
}
