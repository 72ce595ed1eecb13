package dev.loomstep.examples;

import dev.loomstep.Function;
import dev.loomstep.Trigger;
import dev.loomstep.WaitForEvent;
import java.time.Duration;
import java.util.Optional;

/**
 * Human in the loop: an expense waits for a manager's decision (an event from your UI or API) for up to
 * a day; no thread waits meanwhile.
 */
public final class ExpenseApproval {
    public record ExpenseSubmitted(String expenseId, String employee, int amountCents) {}

    public record Decision(String expenseId, boolean approved, String manager) {}

    public static final String SUBMITTED = "expense/submitted";
    public static final String DECIDED = "expense/decided";

    private ExpenseApproval() {}

    public static Function<ExpenseSubmitted, String> function(EmailSender emails) {
        return Function.builder("expense-approval").name("Expense approval")
                .trigger(Trigger.event(SUBMITTED))
                .handler(ExpenseSubmitted.class, (input, step) -> {
                    var expense = input.data();
                    step.run("ask-manager", Boolean.class, () -> emails.send("manager@example.com",
                            "Approve " + expense.amountCents() / 100.0 + " for " + expense.employee() + "?", "Reply in the app."));
                    Optional<Decision> decision = step.waitForEvent("manager-decision", Decision.class,
                            WaitForEvent.of(DECIDED).timeout(Duration.ofDays(1))
                                    .ifExpression("event.data.expenseId == async.data.expenseId"));
                    if (decision.isEmpty()) {
                        return step.run("escalate", String.class, () -> "escalated: no decision within a day");
                    }
                    return step.run(decision.get().approved() ? "reimburse" : "reject", String.class,
                            () -> (decision.get().approved() ? "reimbursed" : "rejected") + " by " + decision.get().manager());
                });
    }
}
