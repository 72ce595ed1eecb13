package dev.loomstep.test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loomstep.Function;
import dev.loomstep.NonRetriableException;
import dev.loomstep.RetryAfterException;
import dev.loomstep.StepFailedException;
import dev.loomstep.Trigger;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** Retries for real: attempt numbers, max attempts from the function's retries, backoff in virtual time, onFailure. */
class TestEngineRetriesTest {

    @Test
    void aFailingStepIsRetriedWithTheAttemptNumberUntilItSucceeds() {
        var attempts = new CopyOnWriteArrayList<Integer>();
        var fn = Function.builder("flaky").trigger(Trigger.event("t/r")).retries(4).handler((input, step) ->
                step.run("call-api", String.class, () -> {
                    attempts.add(input.attempt());
                    if (attempts.size() < 3) {
                        throw new IllegalStateException("502 from the API");
                    }
                    return "ok";
                }));
        RunResult r = TestEngine.builder(fn).build().trigger("t/r", Map.of()).run();

        assertEquals("ok", r.output(String.class), r.toString());
        assertEquals(List.of(0, 1, 2), attempts);
        assertEquals(3, r.step("call-api").attempts());
        // Inngest's backoff: 15 s then 30 s, each with up to 30 s of jitter, none of it waited for.
        assertTrue(r.elapsed().compareTo(Duration.ofSeconds(45)) >= 0 && r.elapsed().compareTo(Duration.ofSeconds(105)) <= 0, r.toString());
    }

    @Test
    void aStepThatKeepsFailingUsesTheFunctionsRetriesThenFailsTheFunction() {
        var fn = Function.builder("broken").trigger(Trigger.event("t/r")).retries(2).handler((input, step) ->
                step.run("call-api", String.class, () -> {
                    throw new IllegalStateException("down for good");
                }));
        RunResult r = TestEngine.builder(fn).build().trigger("t/r", Map.of()).run();

        assertEquals(RunStatus.FAILED, r.status(), r.toString());
        assertEquals(3, r.step("call-api").attempts(), "retries(2) gives 3 attempts");
        assertEquals("IllegalStateException", r.step("call-api").error().name());
        assertEquals("down for good", r.error().message(), r.toString());
    }

    @Test
    void aNonRetriableExceptionFailsTheStepAtTheFirstAttempt() {
        var fn = Function.builder("refuses").trigger(Trigger.event("t/r")).handler((input, step) ->
                step.run("validate", String.class, () -> {
                    throw new NonRetriableException("the card number is invalid");
                }));
        RunResult r = TestEngine.builder(fn).build().trigger("t/r", Map.of()).run();

        assertEquals(RunStatus.FAILED, r.status(), r.toString());
        assertEquals(1, r.step("validate").attempts());
        assertEquals("NonRetriableError", r.error().name());
        assertEquals(Duration.ZERO, r.elapsed());
    }

    @Test
    void aRetryAfterExceptionDelaysTheNextAttemptByItsDuration() {
        var fn = Function.builder("limited").trigger(Trigger.event("t/r")).handler((input, step) ->
                step.run("call-api", String.class, () -> {
                    if (input.attempt() == 0) {
                        throw new RetryAfterException("rate limited", Duration.ofMinutes(10));
                    }
                    return "done";
                }));
        RunResult r = TestEngine.builder(fn).build().trigger("t/r", Map.of()).run();

        assertEquals("done", r.output(String.class), r.toString());
        assertEquals(Duration.ofMinutes(10), r.elapsed());
        assertEquals(2, r.step("call-api").attempts());
    }

    @Test
    void aFunctionCatchesAStepThatFailedForGoodAsStepFailedException() {
        var fn = Function.builder("careful").trigger(Trigger.event("t/r")).retries(0).handler((input, step) -> {
            try {
                return step.run("risky", String.class, () -> {
                    throw new IllegalArgumentException("no such user");
                });
            } catch (StepFailedException e) {
                return step.run("fallback", String.class, () -> "fallback after " + e.errorName());
            }
        });
        RunResult r = TestEngine.builder(fn).build().trigger("t/r", Map.of()).run();

        assertEquals("fallback after IllegalArgumentException", r.output(String.class), r.toString());
        assertEquals(List.of("risky", "fallback"), r.stepIds());
        assertEquals("no such user", r.step("risky").error().message());
    }

    @Test
    void aFunctionErrorOutsideStepsIsRetriedAsAWholeCall() {
        var fn = Function.builder("shaky").trigger(Trigger.event("t/r")).retries(1).handler((input, step) -> {
            if (input.attempt() == 0) {
                throw new IllegalStateException("cold cache");
            }
            return input.attempt();
        });
        RunResult r = TestEngine.builder(fn).build().trigger("t/r", Map.of()).run();
        assertEquals(1, r.output(Integer.class), r.toString());
        assertEquals(2, r.calls());
    }

    @Test
    void onFailureRunsWithTheFailedRunsErrorAndEventWhenTheFunctionFailsForGood() {
        var fn = Function.builder("charges").trigger(Trigger.event("billing/charge")).retries(1)
                .onFailure((input, step) -> step.run("alert", String.class, () ->
                        "alerted about " + input.data().functionId() + ": " + input.data().error().message()
                                + " for " + input.data().event().data().path("order").asText()))
                .handler((input, step) -> step.run("charge", String.class, () -> {
                    throw new IllegalStateException("card declined");
                }));
        RunResult r = TestEngine.builder(fn).build().trigger("billing/charge", Map.of("order", "o_7")).run();

        assertEquals(RunStatus.FAILED, r.status(), r.toString());
        RunResult handler = r.onFailure().orElseThrow(() -> new AssertionError("onFailure did not run: " + r));
        assertEquals(RunStatus.COMPLETED, handler.status(), handler.toString());
        assertEquals("alerted about test-app-charges: card declined for o_7", handler.output(String.class));
        assertEquals(List.of("alert"), handler.stepIds());
    }

    @Test
    void onFailureDoesNotRunWhenTheFunctionSucceeds() {
        var fn = Function.builder("fine").trigger(Trigger.event("t/r"))
                .onFailure((input, step) -> "should not run")
                .handler((input, step) -> "ok");
        RunResult r = TestEngine.builder(fn).build().trigger("t/r", Map.of()).run();
        assertEquals("ok", r.output(String.class));
        assertTrue(r.onFailure().isEmpty());
    }
}
