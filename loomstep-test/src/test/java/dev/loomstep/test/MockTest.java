package dev.loomstep.test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loomstep.Event;
import dev.loomstep.Function;
import dev.loomstep.Invoke;
import dev.loomstep.NonRetriableException;
import dev.loomstep.StepFailedException;
import dev.loomstep.Trigger;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Steps mocked by id: a value or an error instead of the body; everything else real. */
class MockTest {
    record Receipt(String id, int cents) {}

    final AtomicInteger charged = new AtomicInteger();
    final AtomicInteger emailed = new AtomicInteger();

    final Function<Map<String, Object>, String> checkout = Function.builder("checkout").trigger(Trigger.event("shop/checkout"))
            .retries(2)
            .handler(new com.fasterxml.jackson.core.type.TypeReference<Map<String, Object>>() {}, (input, step) -> {
                Receipt receipt = step.run("charge", Receipt.class, () -> {
                    charged.incrementAndGet();
                    return new Receipt("live", 999);
                });
                try {
                    step.run("email", Boolean.class, () -> emailed.incrementAndGet() > 0);
                } catch (StepFailedException e) {
                    step.sendEvent("email-failed", Event.of("shop/email.failed", Map.of("receipt", receipt.id())));
                }
                return receipt.id() + ":" + receipt.cents();
            });

    @Test
    void aMockedValueIsTheStepsResultAndItsBodyNeverRuns() {
        RunResult r = TestEngine.builder(checkout).mock("charge", Mock.value(new Receipt("r_mock", 100))).build()
                .trigger("shop/checkout", Map.of()).run();

        assertEquals("r_mock:100", r.output(String.class), r.toString());
        assertEquals(0, charged.get(), "the mocked body ran");
        assertEquals(1, emailed.get(), "an unmocked step runs for real");
        assertTrue(r.step("charge").mocked());
        assertFalse(r.step("email").mocked());
        assertEquals(List.of("charge", "email"), r.stepIds());
    }

    @Test
    void aMockedErrorIsRetriedLikeTheRealStepThenSurfacesAsStepFailedException() {
        RunResult r = TestEngine.builder(checkout).mock("email", Mock.error(new IOException("smtp down"))).build()
                .trigger("shop/checkout", Map.of()).run();

        assertEquals("live:999", r.output(String.class), r.toString());
        assertEquals(0, emailed.get());
        StepResult email = r.step("email");
        assertEquals(3, email.attempts(), "retries(2): three attempts");
        assertEquals("IOException", email.error().name());
        assertTrue(r.elapsed().compareTo(Duration.ofSeconds(45)) >= 0, "backoff passes in virtual time: " + r.elapsed());
        assertEquals(List.of("shop/email.failed"), r.sentEvents().stream().map(Event::name).toList());
        assertEquals("live", r.sentEvents().get(0).data().path("receipt").asText());
    }

    @Test
    void aMockedNonRetriableErrorFailsTheStepAtOnce() {
        RunResult r = TestEngine.builder(checkout).mock("email", Mock.error(new NonRetriableException("blocked address"))).build()
                .trigger("shop/checkout", Map.of()).run();
        assertEquals(1, r.step("email").attempts());
        assertEquals(Duration.ZERO, r.elapsed());
    }

    @Test
    void anInvokeStepIsMockedByItsStepId() {
        var target = Function.builder("pricing").trigger(Trigger.event("t/price")).handler((input, step) -> 1);
        var fn = Function.builder("quote").trigger(Trigger.event("t/quote")).handler((input, step) ->
                step.invoke("price", Integer.class, Invoke.function(target)) * 2);
        RunResult r = TestEngine.builder(fn).functions(target).mock("price", Mock.value(50)).build().trigger("t/quote", Map.of()).run();
        assertEquals(100, r.output(Integer.class), r.toString());
        assertTrue(r.step("price").mocked());
    }
}
