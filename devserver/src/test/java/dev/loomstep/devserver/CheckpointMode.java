package dev.loomstep.devserver;

import dev.loomstep.Checkpointing;

/** The two ways a Loomstep app runs steps, for tests that must pass in both ({@code @EnumSource(CheckpointMode.class)}). */
enum CheckpointMode {
    /** The default: sequential steps run back to back in one call and are reported to the checkpoint API. */
    CHECKPOINTING(Checkpointing.defaults()),
    /** The classic protocol: one call per step. */
    CLASSIC(Checkpointing.off());

    private final Checkpointing checkpointing;

    CheckpointMode(Checkpointing checkpointing) {
        this.checkpointing = checkpointing;
    }

    Checkpointing checkpointing() {
        return checkpointing;
    }
}
