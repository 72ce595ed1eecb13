package dev.loomstep.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

/** The rule for a peer that cannot run, and a child process that never gets ready. */
class PeerProcessTest {
    private final String before = System.getProperty(PeerProcess.REQUIRE_PEER_PROPERTY);

    @AfterEach
    void restore() {
        if (before == null) {
            System.clearProperty(PeerProcess.REQUIRE_PEER_PROPERTY);
        } else {
            System.setProperty(PeerProcess.REQUIRE_PEER_PROPERTY, before);
        }
    }

    @Test
    void aMissingPeerFailsWithOneLineWhenRequired() {
        System.setProperty(PeerProcess.REQUIRE_PEER_PROPERTY, "true");

        var e = assertThrows(AssertionFailedError.class,
                () -> PeerProcess.requireOrSkip("the official Go SDK peer", Optional.of("go is not on PATH"), "install Go", "skipped"));

        assertEquals("the official Go SDK peer is required (-Dloomstep.requirePeer=true) but go is not on PATH: install Go", e.getMessage());
        assertTrue(e.getMessage().lines().count() == 1);
    }

    @Test
    void aMissingPeerSkipsWhenNotRequired() {
        System.setProperty(PeerProcess.REQUIRE_PEER_PROPERTY, "false");

        var e = assertThrows(TestAbortedException.class,
                () -> PeerProcess.requireOrSkip("the official Go SDK peer", Optional.of("go is not on PATH"), "install Go", "the Go tests are skipped"));

        assertTrue(e.getMessage().contains("go is not on PATH: the Go tests are skipped"), e.getMessage());
    }

    @Test
    void anAvailablePeerNeitherFailsNorSkips() {
        System.setProperty(PeerProcess.REQUIRE_PEER_PROPERTY, "true");
        PeerProcess.requireOrSkip("x", Optional.empty(), "fix", "skip");
    }

    @Test
    void aProcessThatExitsBeforeItsReadyLineFailsWithItsOutput() {
        var e = assertThrows(IllegalStateException.class, () -> PeerProcess.start("the test peer",
                List.of("sh", "-c", "echo starting; echo broken >&2; exit 3"), PeerProcess.repoRoot(), Map.of(), "ready ",
                Duration.ofSeconds(20)));

        assertTrue(e.getMessage().startsWith("the test peer did not start within 20 s; its output:"), e.getMessage());
        assertTrue(e.getMessage().contains("starting\nbroken"), e.getMessage());
    }
}
