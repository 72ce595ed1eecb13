package dev.loomstep.examples;

import dev.loomstep.Function;
import dev.loomstep.Invoke;
import dev.loomstep.Trigger;
import java.time.Duration;

/** One function invoking another and using its result: onboarding asks a scoring function for a tier. */
public final class ScoreInvoke {
    public record ScoreRequest(String userId, int signups) {}

    public record Score(String userId, int value) {}

    public record Onboarding(String userId) {}

    public static final String ONBOARDING_STARTED = "app/onboarding.started";

    private ScoreInvoke() {}

    /** The invoked function: computes a score; never triggered by an event of its own. */
    public static Function<ScoreRequest, Score> scoreUser() {
        return Function.builder("score-user").name("Score a user")
                .trigger(Trigger.event("app/score.requested"))
                .handler(ScoreRequest.class, (input, step) -> step.run("compute", Score.class,
                        () -> new Score(input.data().userId(), Math.min(100, 10 + input.data().signups() * 7))));
    }

    /** The invoking function. */
    public static Function<Onboarding, String> onboarding(Function<ScoreRequest, Score> scorer) {
        return Function.builder("onboarding").name("Onboard a user")
                .trigger(Trigger.event(ONBOARDING_STARTED))
                .handler(Onboarding.class, (input, step) -> {
                    Score score = step.invoke("score", Score.class,
                            Invoke.function(scorer).data(new ScoreRequest(input.data().userId(), 8)).timeout(Duration.ofMinutes(5)));
                    return step.run("assign-tier", String.class, () -> score.value() >= 50 ? "gold" : "standard");
                });
    }
}
