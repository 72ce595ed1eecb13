package dev.loomstep.examples;

import dev.loomstep.Function;
import dev.loomstep.Trigger;
import dev.loomstep.WaitForEvent;
import java.time.Duration;
import java.util.Optional;

/**
 * The account-created flow: wait a moment after sign-up, send a welcome email, then wait up to 72
 * hours for the user's first function; nudge them by email if it never comes, congratulate them if it
 * does.
 */
public final class AccountCreatedFlow {
    /** The data of {@code api/account.created}. */
    public record AccountCreated(String userId, String email, String name) {}

    /** The data of {@code api/function.created}. */
    public record FunctionCreated(String userId, String functionName) {}

    /** What the run returns. */
    public record Outcome(boolean welcomed, String followUp) {}

    public static final String ACCOUNT_CREATED = "api/account.created";
    public static final String FUNCTION_CREATED = "api/function.created";

    private AccountCreatedFlow() {}

    /** The function, sending email through {@code emails}, with a configurable first delay. */
    public static Function<AccountCreated, Outcome> function(EmailSender emails, Duration initialDelay) {
        return Function.builder("account-created").name("Account creation flow")
                .trigger(Trigger.event(ACCOUNT_CREATED))
                .handler(AccountCreated.class, (input, step) -> {
                    AccountCreated user = input.data();
                    step.sleep("initial-delay", initialDelay);

                    boolean sent = step.run("on-user-created", Boolean.class,
                            () -> emails.send(user.email(), "Welcome to Loomstep, " + user.name(), "Glad you are here."));

                    Optional<FunctionCreated> created = step.waitForEvent("wait-for-activity", FunctionCreated.class,
                            WaitForEvent.of(FUNCTION_CREATED).timeout(Duration.ofHours(72))
                                    .ifExpression("event.data.userId == async.data.userId"));

                    String followUp = created.isPresent()
                            ? step.run("send-congrats", String.class, () -> {
                                emails.send(user.email(), "Your first function: " + created.get().functionName(), "Nice work.");
                                return "congratulated";
                            })
                            : step.run("send-nudge", String.class, () -> {
                                emails.send(user.email(), "Need a hand getting started?", "Here is a guide.");
                                return "nudged";
                            });
                    return new Outcome(sent, followUp);
                });
    }
}
