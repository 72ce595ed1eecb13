package dev.loomstep.devserver.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.protocol.Json;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Flow control's durable state in the store: held events and keyed windows, on a real SQLite file. */
class FlowStatesTest {
    @TempDir
    Path dir;

    static JsonNode event(String id, int n) {
        return Json.nodes().objectNode().put("id", id).put("name", "t/e").set("data", Json.nodes().objectNode().put("n", n));
    }

    @Test
    void heldEventsSurviveReopeningTheFileAndAreTakenOnce() {
        Path db = dir.resolve("held.db");
        try (Store store = Store.open(db)) {
            store.holdEvents(new HeldEvents(HeldEvents.BATCH, "fn:", "fn", List.of(event("a", 1)), 1_000, 31_000));
            store.holdEvents(new HeldEvents(HeldEvents.BATCH, "fn:", "fn", List.of(event("a", 1), event("b", 2)), 1_000, 31_000));
            store.holdEvents(new HeldEvents(HeldEvents.DEBOUNCE, "fn:", "fn", List.of(event("c", 3)), 2_000, 3_000));
        }
        try (Store store = Store.open(db)) {
            List<HeldEvents> held = store.heldEvents();
            assertEquals(List.of(HeldEvents.DEBOUNCE, HeldEvents.BATCH), held.stream().map(HeldEvents::kind).toList(),
                    "soonest due first; a key is held once per kind");
            assertEquals(List.of("a", "b"), held.get(1).events().stream().map(e -> e.get("id").asText()).toList());

            HeldEvents taken = store.takeHeld(HeldEvents.BATCH, "fn:").orElseThrow();
            assertEquals(2, taken.events().size());
            assertTrue(store.takeHeld(HeldEvents.BATCH, "fn:").isEmpty(), "a holding is taken once");
            assertEquals("c", store.takeHeld(HeldEvents.DEBOUNCE, "fn:").orElseThrow().events().get(0).get("id").asText());
            assertTrue(store.heldEvents().isEmpty());
        }
    }

    @Test
    void aHoldingTakenInAUnitThatFailsIsStillHeld() {
        try (Store store = Store.inMemory()) {
            store.holdEvents(new HeldEvents(HeldEvents.DEBOUNCE, "fn:k", "fn", List.of(event("a", 1)), 1, 2));
            assertThrows(IllegalStateException.class, () -> store.txRun(() -> {
                store.takeHeld(HeldEvents.DEBOUNCE, "fn:k");
                throw new IllegalStateException("the run could not be saved");
            }));
            assertEquals(1, store.heldEvents().size(), "rolled back with the unit");
        }
    }

    @Test
    void windowsAreReplacedPerKeyAndExpiredOnesAreNeitherListedNorKept() {
        try (Store store = Store.inMemory()) {
            store.saveWindow(new FlowWindow(FlowWindow.IDEMPOTENCY, "fn:7", 1_000, 5_000));
            store.saveWindow(new FlowWindow(FlowWindow.RATE_LIMIT, "fn:", 10_000_000_000L, 10_001));
            store.saveWindow(new FlowWindow(FlowWindow.RATE_LIMIT, "fn:", 20_000_000_000L, 20_001));
            store.saveWindow(new FlowWindow(FlowWindow.THROTTLE, "fn:", 30_000_000_000L, 30_001));

            assertEquals(List.of(new FlowWindow(FlowWindow.RATE_LIMIT, "fn:", 20_000_000_000L, 20_001),
                    new FlowWindow(FlowWindow.THROTTLE, "fn:", 30_000_000_000L, 30_001)), store.windows(6_000));
            assertEquals(1, store.dropExpiredWindows(6_000));
            assertEquals(2, store.counts().get("flow_windows"));
            assertEquals(2, store.windows(0).size(), "the expired idempotency key is gone for good");
        }
    }

    @Test
    void aKeyIsClaimedOnceUntilItsClaimExpires() {
        try (Store store = Store.inMemory()) {
            assertTrue(store.claimWindow(new FlowWindow(FlowWindow.IDEMPOTENCY, "fn:7", 1_000, 5_000), 1_000));
            assertFalse(store.claimWindow(new FlowWindow(FlowWindow.IDEMPOTENCY, "fn:7", 2_000, 6_000), 2_000));
            assertEquals(List.of(new FlowWindow(FlowWindow.IDEMPOTENCY, "fn:7", 1_000, 5_000)), store.windows(0),
                    "a refused claim changes nothing");
            assertTrue(store.claimWindow(new FlowWindow(FlowWindow.IDEMPOTENCY, "fn:7", 5_000, 9_000), 5_000), "expired");
            assertThrows(IllegalStateException.class, () -> store.txRun(() -> {
                assertTrue(store.claimWindow(new FlowWindow(FlowWindow.IDEMPOTENCY, "fn:8", 5_000, 9_000), 5_000));
                throw new IllegalStateException("the event could not be saved");
            }));
            assertTrue(store.claimWindow(new FlowWindow(FlowWindow.IDEMPOTENCY, "fn:8", 5_000, 9_000), 5_000),
                    "a claim rolled back with its unit holds nothing");
        }
    }

    @Test
    void aDatabaseFileWrittenBeforeFlowStateGainsItsTablesWhenOpened() throws Exception {
        Path db = dir.resolve("old.db");
        // The schema of a devserver from before flow state was saved: no flow tables, user_version 0.
        try (var c = DriverManager.getConnection("jdbc:sqlite:" + db); var s = c.createStatement()) {
            s.execute("CREATE TABLE events (id TEXT PRIMARY KEY, name TEXT NOT NULL, body TEXT NOT NULL, received_at INTEGER NOT NULL)");
            s.execute("INSERT INTO events VALUES ('old-1', 'old/e', '{\"id\":\"old-1\",\"name\":\"old/e\",\"data\":{}}', 1)");
        }
        try (Store store = Store.open(db)) {
            assertEquals(Schema.VERSION, store.schemaVersion());
            assertTrue(store.event("old-1").isPresent(), "existing rows stay");
            store.holdEvents(new HeldEvents(HeldEvents.DEBOUNCE, "fn:", "fn", List.of(event("a", 1)), 1, 2));
            assertEquals(1, store.heldEvents().size());
        }
    }
}
