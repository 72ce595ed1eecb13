package dev.loomstep.devserver.flow;

import static dev.loomstep.devserver.flow.Events.forUser;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.flow.CancelOn;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class CancellationsTest {
    final Instant created = Instant.parse("2024-03-01T12:00:00Z");
    final JsonNode trigger = forUser("app/signup", "u_1");
    final CancelOn onDeletion = CancelOn.event("app/user.deleted").ifExpression("event.data.user_id == async.data.user_id");

    @Test
    void cancelsWhenTheNamedEventMatchesTheCondition() {
        assertTrue(Cancellations.cancels(onDeletion, trigger, forUser("app/user.deleted", "u_1"), created, created.plusSeconds(5)));
        assertFalse(Cancellations.cancels(onDeletion, trigger, forUser("app/user.deleted", "u_2"), created, created.plusSeconds(5)));
        assertFalse(Cancellations.cancels(onDeletion, trigger, forUser("app/user.updated", "u_1"), created, created.plusSeconds(5)));
    }

    @Test
    void withoutAConditionAnyEventOfTheNameCancels() {
        assertTrue(Cancellations.cancels(CancelOn.event("app/stop"), trigger, forUser("app/stop", "x"), created, created));
    }

    @Test
    void stopsCancellingAfterTheTimeout() {
        CancelOn within = onDeletion.timeout(Duration.ofMinutes(10));
        assertTrue(Cancellations.cancels(within, trigger, forUser("app/user.deleted", "u_1"), created, created.plus(Duration.ofMinutes(10))));
        assertFalse(Cancellations.cancels(within, trigger, forUser("app/user.deleted", "u_1"), created, created.plus(Duration.ofMinutes(10)).plusMillis(1)));
    }

    @Test
    void findsTheFirstMatchingRule() {
        CancelOn other = CancelOn.event("app/other");
        assertEquals(Optional.of(onDeletion), Cancellations.firstMatch(List.of(other, onDeletion), trigger,
                forUser("app/user.deleted", "u_1"), created, created));
        assertEquals(Optional.empty(), Cancellations.firstMatch(null, trigger, forUser("app/other", "u_1"), created, created));
    }

    @Test
    void rejectsInvalidRules() {
        assertEquals("invalid cancel: event must name the cancelling event",
                assertThrows(IllegalArgumentException.class, () -> Cancellations.validate(new CancelOn(" ", null, null))).getMessage());
        assertEquals("invalid cancel: timeout must be positive, got 0s",
                assertThrows(IllegalArgumentException.class, () -> Cancellations.validate(CancelOn.event("x").timeout(Duration.ZERO))).getMessage());
        assertThrows(IllegalArgumentException.class, () -> Cancellations.validate(CancelOn.event("x").ifExpression("async.data ==")));
    }
}
