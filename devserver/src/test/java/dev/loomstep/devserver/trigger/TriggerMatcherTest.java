package dev.loomstep.devserver.trigger;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TriggerMatcherTest {
    @Test
    void matchesExactNamesAndWildcardPrefixes() {
        assertTrue(TriggerMatcher.nameMatches("app/user.created", "app/user.created"));
        assertFalse(TriggerMatcher.nameMatches("app/user.created", "app/user.deleted"));
        assertTrue(TriggerMatcher.nameMatches("app/*", "app/user.created"));
        assertFalse(TriggerMatcher.nameMatches("app/*", "billing/invoice"));
        assertTrue(TriggerMatcher.nameMatches("*", "anything"));
        assertFalse(TriggerMatcher.nameMatches(null, "x"));
    }
}
