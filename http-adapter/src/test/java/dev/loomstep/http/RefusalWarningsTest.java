package dev.loomstep.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loomstep.testkit.LogCapture;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** A refused executor signature is one WARN with what to check, then at most one a minute, never a flood. */
class RefusalWarningsTest {
    @Test
    void oneWarningAMinuteNamingTheKeysHashesAndWhatToCheck() {
        try (var log = LogCapture.recorder("test")) {
            var warnings = new RefusalWarnings(log.logger(), "shop", "0123456789ab", null);
            Instant t = Instant.parse("2026-01-01T00:00:00Z");
            for (int i = 0; i < 100; i++) {
                warnings.refused("POST", "X-Inngest-Signature does not match the request body for the configured signing key", t.plusMillis(i));
            }
            assertEquals(1, log.at("WARN").size(), log.lines().toString());
            String first = log.at("WARN").get(0).message();
            assertTrue(first.contains("app \"shop\" refused a call from the executor: X-Inngest-Signature does not match"), first);
            assertTrue(first.contains("hash 0123456789ab…") && first.contains("has no fallback key"), first);
            assertTrue(first.contains("INNGEST_SIGNING_KEY") && first.contains("--signing-key") && first.contains("INNGEST_DEV=1"), first);
            assertFalse(first.contains("more refusal"), first);

            warnings.refused("POST", "missing X-Inngest-Signature header", t.plusSeconds(61));
            assertEquals(2, log.at("WARN").size());
            assertTrue(log.at("WARN").get(1).message().contains("; 99 more refusal(s) since the last warning were not logged"),
                    log.at("WARN").get(1).message());
        }
    }
}
