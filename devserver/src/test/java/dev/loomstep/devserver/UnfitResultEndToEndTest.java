package dev.loomstep.devserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Function;
import dev.loomstep.Trigger;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** A step result Jackson would record as {} fails the run with the fix, and the side effect never ran. */
@Timeout(60)
class UnfitResultEndToEndTest {
    /** Private fields, no getters: what a newcomer writes first. */
    static final class Money {
        private final long cents;

        Money(long cents) {
            this.cents = cents;
        }
    }

    @ParameterizedTest
    @EnumSource(CheckpointMode.class)
    void aStepReturningAClassWithoutPropertiesFailsTheRunNamingTheTypeAndTheBodyNeverRuns(CheckpointMode mode) {
        var charges = new AtomicInteger();
        var fn = Function.builder("charge").trigger(Trigger.event("shop/order")).retries(3).handler((in, step) -> {
            Money paid = step.run("charge", Money.class, () -> {
                charges.incrementAndGet();
                return new Money(500);
            });
            return paid.cents;
        });
        try (var fixture = LoomstepDevServer.builder("shop").app(b -> b.checkpointing(mode.checkpointing())).start(fn)) {
            var api = fixture.api;
            JsonNode run = api.awaitStatus(api.runOf(api.send("shop/order", Map.of())), "Failed");

            String message = run.get("error").get("message").asText();
            assertTrue(message.contains(Money.class.getName()) && message.contains("no properties")
                    && message.contains("record"), run.toString());
            JsonNode charge = run.get("steps").get(0);
            assertEquals("failed", charge.get("status").asText(), charge.toString());
            assertEquals(0, charges.get(), "the declared type is refused before the side effect; a programming error is not retried");
        }
    }
}
