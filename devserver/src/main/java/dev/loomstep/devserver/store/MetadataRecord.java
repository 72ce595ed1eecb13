package dev.loomstep.devserver.store;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One kind of metadata on a run ({@code stepHash} "") or on one of its steps: the values every update of
 * that kind combined into, as Inngest's metadata ops combine them.
 *
 * @param stepHash  the step's hashed id (its {@code id} in the run's steps), or "" for the run's metadata
 * @param stepId    the step's own id as the sender named it, or null when it did not (an op's metadata names its
 *                  step by the op)
 * @param stepIndex which repeat of that step id (0 the first), or null
 * @param attempt   the step attempt the last update named, or null for the latest
 * @param size      bytes every accepted update of this kind carried (keys and JSON values), counted
 *                  against the run's limit
 */
public record MetadataRecord(String runId, String stepHash, String stepId, Integer stepIndex, Integer attempt, String kind,
                             ObjectNode values, long size, long updatedAt) {

    /** Bytes a run may accumulate over all its updates (Inngest's 1 MB). */
    public static final long MAX_RUN_BYTES = 1024 * 1024;
}
