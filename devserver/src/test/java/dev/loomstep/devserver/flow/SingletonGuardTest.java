package dev.loomstep.devserver.flow;

import static dev.loomstep.devserver.flow.Events.forUser;
import static dev.loomstep.devserver.flow.Events.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.loomstep.devserver.flow.SingletonGuard.CancelRunning;
import dev.loomstep.devserver.flow.SingletonGuard.Skip;
import dev.loomstep.devserver.flow.SingletonGuard.Start;
import dev.loomstep.flow.Singleton;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SingletonGuardTest {
    final SingletonGuard guard = new SingletonGuard();
    final Singleton skipPerUser = new Singleton("event.data.user_id", Singleton.Mode.skip);
    final Singleton cancelPerUser = new Singleton("event.data.user_id", Singleton.Mode.cancel);

    @Test
    void skipsANewRunWhileOneRunsForTheKey() {
        assertEquals(new Start("fn:a"), guard.admit("fn", skipPerUser, forUser("a"), "run-1"));
        assertEquals(new Skip("fn:a", "run-1"), guard.admit("fn", skipPerUser, forUser("a"), "run-2"));
        assertEquals(new Start("fn:b"), guard.admit("fn", skipPerUser, forUser("b"), "run-3"));
        assertEquals(new Start("other-fn:a"), guard.admit("other-fn", skipPerUser, forUser("a"), "run-4"));
        guard.release("run-1");
        assertEquals(new Start("fn:a"), guard.admit("fn", skipPerUser, forUser("a"), "run-5"));
    }

    @Test
    void cancelModeHandsTheKeyToTheNewRun() {
        assertEquals(new Start("fn:a"), guard.admit("fn", cancelPerUser, forUser("a"), "run-1"));
        assertEquals(new CancelRunning("fn:a", "run-1"), guard.admit("fn", cancelPerUser, forUser("a"), "run-2"));
        assertEquals(Optional.of("run-2"), guard.holder("fn:a"));
        guard.release("run-1");
        assertEquals(Optional.of("run-2"), guard.holder("fn:a"), "the cancelled run's release does not free the new holder");
        guard.release("run-2");
        assertEquals(Optional.empty(), guard.holder("fn:a"));
    }

    @Test
    void admittingTheHolderAgainIsHarmless() {
        guard.admit("fn", skipPerUser, forUser("a"), "run-1");
        assertEquals(new Start("fn:a"), guard.admit("fn", skipPerUser, forUser("a"), "run-1"));
    }

    @Test
    void aFunctionWideSingletonHasOneKey() {
        Singleton whole = new Singleton(null, Singleton.Mode.skip);
        guard.admit("fn", whole, forUser("a"), "run-1");
        assertEquals(new Skip("fn:", "run-1"), guard.admit("fn", whole, forUser("b"), "run-2"));
    }

    @Test
    void aFalseKeyExemptsTheEvent() {
        Singleton unlessUrgent = new Singleton("event.data.urgent ? false : event.name", Singleton.Mode.skip);
        var urgent = json("{\"name\": \"all\", \"data\": {\"urgent\": true}}");
        var normal = json("{\"name\": \"all\", \"data\": {\"urgent\": false}}");
        guard.admit("fn", unlessUrgent, normal, "run-1");
        assertEquals(new Start(null), guard.admit("fn", unlessUrgent, urgent, "run-2"));
        assertEquals(new Skip("fn:all", "run-1"), guard.admit("fn", unlessUrgent, normal, "run-3"));
    }

    @Test
    void releasingAnUnknownRunDoesNothing() {
        guard.release("nobody");
        assertEquals(Optional.empty(), guard.holder("fn:"));
    }

    @Test
    void rejectsAConfigWithoutMode() {
        assertEquals("invalid singleton: mode must be skip or cancel",
                assertThrows(IllegalArgumentException.class, () -> guard.admit("fn", new Singleton(null, null), forUser("a"), "r")).getMessage());
    }
}
