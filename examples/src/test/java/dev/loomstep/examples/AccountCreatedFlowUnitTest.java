package dev.loomstep.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.loomstep.Event;
import dev.loomstep.examples.AccountCreatedFlow.AccountCreated;
import dev.loomstep.examples.AccountCreatedFlow.FunctionCreated;
import dev.loomstep.examples.AccountCreatedFlow.Outcome;
import dev.loomstep.test.Mock;
import dev.loomstep.test.RunResult;
import dev.loomstep.test.RunStatus;
import dev.loomstep.test.TestEngine;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The account-created flow on the in-process test engine: both branches of its 72 h wait, in milliseconds. */
class AccountCreatedFlowUnitTest {
    final RecordingEmailSender emails = new RecordingEmailSender();
    final TestEngine engine = TestEngine.builder(AccountCreatedFlow.function(emails, Duration.ofSeconds(1))).build();
    final Event signup = Event.of(AccountCreatedFlow.ACCOUNT_CREATED, new AccountCreated("u_1", "ada@example.com", "Ada"));

    @Test
    void withoutAFirstFunctionWithin72HoursTheUserIsNudged() {
        RunResult r = engine.trigger(signup)
                .receive(Event.of(AccountCreatedFlow.FUNCTION_CREATED, new FunctionCreated("u_2", "someone-else")))
                .run();

        assertEquals(RunStatus.COMPLETED, r.status(), r.toString());
        assertEquals(new Outcome(true, "nudged"), r.output(Outcome.class));
        assertEquals(List.of("initial-delay", "on-user-created", "wait-for-activity", "send-nudge"), r.stepIds());
        assertEquals(Duration.ofHours(72).plusSeconds(1), r.elapsed());
        assertEquals(List.of("ada@example.com: Welcome to Loomstep, Ada", "ada@example.com: Need a hand getting started?"),
                emails.to("ada@example.com"));
    }

    @Test
    void aFirstFunctionWithin72HoursGetsTheUserCongratulated() {
        RunResult r = engine.trigger(signup)
                .receive(Duration.ofHours(71), Event.of(AccountCreatedFlow.FUNCTION_CREATED, new FunctionCreated("u_1", "nightly-report")))
                .run();

        assertEquals(new Outcome(true, "congratulated"), r.output(Outcome.class), r.toString());
        assertEquals(List.of("initial-delay", "on-user-created", "wait-for-activity", "send-congrats"), r.stepIds());
        assertEquals("nightly-report", r.step("wait-for-activity").output().path("data").path("functionName").asText());
    }

    @Test
    void aMockedWelcomeEmailIsNotSent() {
        RunResult r = TestEngine.builder(AccountCreatedFlow.function(emails, Duration.ofSeconds(1)))
                .mock("on-user-created", Mock.value(true)).build()
                .trigger(signup).run();

        assertEquals("nudged", r.output(Outcome.class).followUp(), r.toString());
        assertEquals(List.of("ada@example.com: Need a hand getting started?"), emails.to("ada@example.com"));
    }
}
