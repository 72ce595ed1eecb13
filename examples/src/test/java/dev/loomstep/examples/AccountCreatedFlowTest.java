package dev.loomstep.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.loomstep.Event;
import dev.loomstep.Loomstep;
import dev.loomstep.protocol.Json;
import dev.loomstep.test.DevHandle;
import dev.loomstep.test.DevRun;
import dev.loomstep.test.LoomstepExtension;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The real {@link AccountCreatedFlow} and {@link ExpenseApproval} end to end on an embedded devserver
 * (loomstep-test's {@link LoomstepExtension}) whose clock the test moves: both branches of each
 * waitForEvent, the timeout ones (72 hours without the user's first function: the nudge; a day without
 * the manager: escalation) included, with a recording {@link EmailSender} in place of the console one.
 */
@Timeout(60)
class AccountCreatedFlowTest {
    static final RecordingEmailSender emails = new RecordingEmailSender();

    @RegisterExtension
    static LoomstepExtension loomstep = LoomstepExtension.app(() -> Loomstep.builder("examples-flow-test")
            .functions(AccountCreatedFlow.function(emails, Duration.ofMillis(20)), ExpenseApproval.function(emails)));

    @BeforeEach
    void forgetEmails() {
        emails.clear();
    }

    @Test
    void withoutTheUsersFirstFunctionWithin72HoursTheyGetANudge(DevHandle dev) throws Exception {
        String eventId = signUp(dev, "u_grace", "grace@example.com", "Grace");
        dev.awaitStep(eventId, "wait-for-activity");

        // Another user's first function does not end Grace's wait (the `if` compares user ids).
        String other = dev.send(Event.of(AccountCreatedFlow.FUNCTION_CREATED, Map.of("userId", "u_linus", "functionName", "cron-job")));
        Thread.sleep(300); // give a wrong resume the time to happen; the assertion below is what matters
        assertEquals("Running", dev.run(dev.runOf(eventId)).status(), "resumed by " + other);
        assertEquals(List.of("grace@example.com: Welcome to Loomstep, Grace"), emails.to("grace@example.com"));

        dev.advanceTime(Duration.ofHours(72).plusMinutes(1));
        DevRun run = dev.awaitRun(eventId);

        assertEquals("Completed", run.status(), run.toString());
        assertEquals(Json.mapper().readTree("{\"welcomed\":true,\"followUp\":\"nudged\"}"), run.output(), run.toString());
        assertEquals(List.of("initial-delay", "on-user-created", "wait-for-activity", "send-nudge"), run.completedSteps(), run.toString());
        assertEquals(List.of("grace@example.com: Welcome to Loomstep, Grace", "grace@example.com: Need a hand getting started?"),
                emails.to("grace@example.com"));
        assertEquals(2, emails.sent().size(), emails.sent().toString());
    }

    @Test
    void theUsersFirstFunctionWithin72HoursGetsThemCongratulated(DevHandle dev) throws Exception {
        String eventId = signUp(dev, "u_ada", "ada@example.com", "Ada");
        dev.awaitStep(eventId, "wait-for-activity");

        dev.advanceTime(Duration.ofHours(71)); // late, but within the 72 hours
        dev.send(Event.of(AccountCreatedFlow.FUNCTION_CREATED, Map.of("userId", "u_ada", "functionName", "nightly-report")));
        DevRun run = dev.awaitRun(eventId);

        assertEquals("Completed", run.status(), run.toString());
        assertEquals(Json.mapper().readTree("{\"welcomed\":true,\"followUp\":\"congratulated\"}"), run.output(), run.toString());
        assertEquals(List.of("initial-delay", "on-user-created", "wait-for-activity", "send-congrats"), run.completedSteps(), run.toString());
        assertEquals(List.of("ada@example.com: Welcome to Loomstep, Ada", "ada@example.com: Your first function: nightly-report"),
                emails.to("ada@example.com"));
        assertEquals(2, emails.sent().size(), emails.sent().toString());
    }

    @Test
    void anExpenseWithoutADecisionWithinADayIsEscalated(DevHandle dev) throws Exception {
        String eventId = dev.send(Event.of(ExpenseApproval.SUBMITTED, new ExpenseApproval.ExpenseSubmitted("exp-9", "Grace", 4_200)));
        dev.awaitStep(eventId, "manager-decision");
        // A decision on another expense is not this one's.
        dev.send(Event.of(ExpenseApproval.DECIDED, new ExpenseApproval.Decision("exp-1", true, "Linus")));
        Thread.sleep(300);
        assertEquals("Running", dev.run(dev.runOf(eventId)).status());

        dev.advanceTime(Duration.ofHours(24).plusMinutes(1));
        DevRun run = dev.awaitRun(eventId);

        assertEquals("Completed", run.status(), run.toString());
        assertEquals("escalated: no decision within a day", run.output().asText(), run.toString());
        assertEquals(List.of("ask-manager", "manager-decision", "escalate"), run.completedSteps(), run.toString());
        assertEquals(List.of("manager@example.com: Approve 42.0 for Grace?"), emails.to("manager@example.com"));
    }

    @Test
    void aDecisionWithinTheDayIsFollowed(DevHandle dev) {
        String eventId = dev.send(Event.of(ExpenseApproval.SUBMITTED, new ExpenseApproval.ExpenseSubmitted("exp-3", "Ada", 1_050)));
        dev.awaitStep(eventId, "manager-decision");
        dev.send(Event.of(ExpenseApproval.DECIDED, new ExpenseApproval.Decision("exp-3", false, "Linus")));
        DevRun run = dev.awaitRun(eventId);

        assertEquals("Completed", run.status(), run.toString());
        assertEquals("rejected by Linus", run.output().asText(), run.toString());
        assertEquals(List.of("ask-manager", "manager-decision", "reject"), run.completedSteps(), run.toString());
    }

    private static String signUp(DevHandle dev, String userId, String email, String name) {
        return dev.send(Event.of(AccountCreatedFlow.ACCOUNT_CREATED, new AccountCreatedFlow.AccountCreated(userId, email, name)));
    }
}
