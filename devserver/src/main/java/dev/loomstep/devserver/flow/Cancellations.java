package dev.loomstep.devserver.flow;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.devserver.expr.CelCompiler;
import dev.loomstep.flow.CancelOn;
import java.time.Instant;
import java.util.Collection;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Cancellation ({@code cancel: [{event, if, timeout}]}): whether an incoming event cancels a run.
 * It does when its name is the configured {@code event}, the optional {@code if} is true (CEL with
 * {@code event} = the run's triggering event and {@code async} = the incoming event), and, with a
 * {@code timeout}, it arrives within that long after the run was created.
 */
public final class Cancellations {
    private Cancellations() {}

    /** Whether {@code incoming}, received at {@code receivedAt}, cancels a run created at {@code runCreatedAt}. */
    public static boolean cancels(CancelOn cancel, JsonNode runEvent, JsonNode incoming, Instant runCreatedAt, Instant receivedAt) {
        String name = incoming == null ? null : incoming.path("name").asText(null);
        return cancels(cancel, name, runCreatedAt, receivedAt,
                condition -> CelCompiler.compile(condition).matches(runEvent, incoming));
    }

    /**
     * The same rule with the {@code if} evaluated by {@code condition} (called only with a non-blank
     * expression, after the name and timeout checks pass): the executor passes its expression conditions.
     * Whatever {@code condition} throws propagates.
     */
    public static boolean cancels(CancelOn cancel, String incomingName, Instant runCreatedAt, Instant receivedAt,
                                  Predicate<String> condition) {
        Objects.requireNonNull(cancel, "cancel");
        if (incomingName == null || !incomingName.equals(cancel.event())) {
            return false;
        }
        if (cancel.timeout() != null && receivedAt.isAfter(runCreatedAt.plus(cancel.timeout()))) {
            return false;
        }
        String expression = cancel.ifExpression();
        return expression == null || expression.isBlank() || condition.test(expression);
    }

    /** The first of a function's cancellation rules that {@code incoming} satisfies, if any. */
    public static Optional<CancelOn> firstMatch(Collection<CancelOn> rules, JsonNode runEvent, JsonNode incoming,
                                                Instant runCreatedAt, Instant receivedAt) {
        if (rules == null) {
            return Optional.empty();
        }
        return rules.stream().filter(r -> cancels(r, runEvent, incoming, runCreatedAt, receivedAt)).findFirst();
    }

    /**
     * Checks a rule: an event name, an {@code if} that compiles, a positive timeout if any.
     *
     * @throws IllegalArgumentException with a one-line message
     */
    public static void validate(CancelOn cancel) {
        Objects.requireNonNull(cancel, "cancel");
        if (cancel.event() == null || cancel.event().isBlank()) {
            throw new IllegalArgumentException("invalid cancel: event must name the cancelling event");
        }
        if (cancel.timeout() != null && (cancel.timeout().isNegative() || cancel.timeout().isZero())) {
            throw new IllegalArgumentException("invalid cancel: timeout must be positive, got " + RateLimiter.describe(cancel.timeout()));
        }
        if (cancel.ifExpression() != null && !cancel.ifExpression().isBlank()) {
            CelCompiler.validate(cancel.ifExpression());
        }
    }
}
