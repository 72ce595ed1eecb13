package dev.loomstep;


/**
 * Every checkpointing test again with the app on {@link Checkpointing#jsDefaults()} (the JS SDK's one
 * checkpoint per step, no run-ahead, fan-outs planned) instead of Loomstep's default, so that retries, middleware,
 * onFailure, {@code NonRetriableException} and {@code RetryAfterException} are pinned in both.
 */
class CheckpointingOneStepAtATimeTest extends CheckpointingTest {
    @Override
    Loomstep.Builder builder() {
        return super.builder().checkpointing(Checkpointing.jsDefaults());
    }

    @Override
    boolean fanOutsInCall() {
        return false; // JS plans a fan-out's branches
    }
}
