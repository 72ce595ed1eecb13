package dev.loomstep;

import static dev.loomstep.Calls.body;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.protocol.CallResult;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

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
    boolean lingers() {
        return false; // JS sends each step as soon as it ran
    }

    @Override
    boolean fanOutsInCall() {
        return false; // JS plans a fan-out's branches
    }

    /** Without run-ahead the next step waits for the checkpoint in flight, as JS awaits each checkpoint. */
    @Override
    @Test
    void theNextStepRunsWhileACheckpointIsInFlightButTheAnswerWaitsForItsAcknowledgement() throws Exception {
        var release = new CountDownLatch(1);
        var bRan = new CountDownLatch(1);
        var app = app(Function.builder("two").trigger(Trigger.event("test/event")).handler((input, step) -> {
            step.run("a", Integer.class, () -> 1);
            step.run("b", Integer.class, () -> {
                bRan.countDown();
                return 2;
            });
            step.sleep("nap", Duration.ofHours(1));
            return 0;
        }));
        var answer = new CompletableFuture<CallResult>();
        Thread.ofVirtual().start(() -> answer.complete(app.call("app-two", "step", checkpointable().build(), null, cp -> {
            if (cp.steps().get(0).name().equals("a")) {
                try {
                    release.await();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }
        })));
        assertFalse(bRan.await(1, TimeUnit.SECONDS), "b waits for a's checkpoint");
        release.countDown();
        assertTrue(bRan.await(10, TimeUnit.SECONDS), "b runs once a's checkpoint is acknowledged");
        assertEquals("Sleep", body(answer.get(10, TimeUnit.SECONDS)).get(0).get("op").asText());
    }

    /** A refused checkpoint stops the run at its step: the next step never runs in this request (JS's rule). */
    @Override
    @Test
    void whenACheckpointFailsTheUnacknowledgedStepsAreAnsweredTheClassicWay() {
        var sent = new AtomicInteger();
        CallResult r = app(seq).call("app-seq", "step", checkpointable().build(), null, cp -> {
            sent.incrementAndGet();
            throw new IllegalStateException("executor down");
        });
        assertEquals(206, r.status());
        JsonNode ops = body(r);
        assertEquals(1, ops.size(), "only a, whose checkpoint was refused: " + ops);
        assertEquals("a", ops.get(0).get("name").asText());
        assertEquals(0, ran("b"), "b did not run");
        assertEquals(1, sent.get());
    }
}
