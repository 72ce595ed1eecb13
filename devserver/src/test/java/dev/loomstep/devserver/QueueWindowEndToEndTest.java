package dev.loomstep.devserver;

import static dev.loomstep.devserver.FakeSdk.done;
import static dev.loomstep.devserver.FakeSdk.ops;
import static dev.loomstep.devserver.FakeSdk.sleepSpec;
import static dev.loomstep.devserver.FakeSdk.waitFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.devserver.flow.ManualClock;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Many more runs parked than the queue's window holds: a devserver whose window is 8 items, 60 runs
 * sleeping or waiting until distinct times, a restart in between, and a clock moved by hand. The window
 * stays bounded, and each run wakes exactly when its time is reached, never before, in due order.
 */
@Timeout(120)
class QueueWindowEndToEndTest {
    private static final Instant ORIGIN = Instant.parse("2026-03-01T00:00:00Z");
    private static final int WINDOW = 8;
    private static final int RUNS = 60;

    @TempDir
    Path dir;

    @Test
    void holdsOnlyItsWindowOfParkedRunsAndWakesEachInDueOrderAcrossARestart() throws Exception {
        var clock = new ManualClock(ORIGIN);
        // Run i wakes at ORIGIN + 1 h + slot(i) minutes; the slots are shuffled so due order is not creation order.
        var slots = IntStream.range(0, RUNS).boxed().collect(Collectors.toCollection(ArrayList::new));
        Collections.shuffle(slots, new Random(12));
        Set<Integer> woken = ConcurrentHashMap.newKeySet();
        var wakeOrder = Collections.synchronizedList(new ArrayList<Integer>());
        Path db = dir.resolve("window.db");
        try (var sdk = new FakeSdk("app")) {
            sdk.fn("park").on("test/park").handler(c -> {
                int i = c.event().path("data").path("i").asInt();
                int slot = slots.get(i);
                if (!c.has("nap")) {
                    return i % 2 == 0
                            ? ops(sleepSpec("nap", ORIGIN.plus(Duration.ofHours(1).plusMinutes(slot)).toString()))
                            : ops(waitFor("nap", "test/never", (3_600 + slot * 60) + "s", null));
                }
                if (woken.add(i)) {
                    wakeOrder.add(slot);
                }
                return done(i);
            });
            var runIds = new ArrayList<String>();
            try (DevServer dev = start(db, clock)) {
                var api = new Api(dev);
                sdk.sync(dev);
                for (int i = 0; i < RUNS; i++) {
                    runIds.add(api.runOf(api.send("test/park", Map.of("i", i))));
                }
                for (String runId : runIds) {
                    Api.await(() -> api.run(runId).get("steps"), s -> s.size() == 1 && s.get(0).get("status").asText().equals("waiting"),
                            "run " + runId + " to park");
                }
                JsonNode queue = api.get("/dev").get("queue");
                assertTrue(queue.get("peak_held").asInt() <= WINDOW, "held at most the window: " + queue);
                assertEquals(WINDOW, queue.get("window").asInt());
            }

            try (DevServer dev = start(db, clock)) {
                var api = new Api(dev);
                Api.await(() -> api.get("/dev").get("queue"), q -> q.get("pages_read").asInt() >= 1, "the first page after the restart");
                assertEquals(WINDOW, api.get("/dev").get("queue").get("held").asInt(), "the restart loads only a window");

                // Move time through the wake-ups ten at a time: exactly the runs due by then wake.
                for (int upTo = 10; upTo <= RUNS; upTo += 10) {
                    clock.set(ORIGIN.plus(Duration.ofHours(1).plusMinutes(upTo - 1).plusSeconds(30)));
                    int expected = upTo;
                    Api.await(() -> woken.size(), n -> n >= expected, expected + " runs to wake");
                    Set<Integer> due = IntStream.range(0, expected).boxed().collect(Collectors.toCollection(TreeSet::new));
                    assertEquals(due, new TreeSet<>(wakeOrder), "the runs woken are exactly those due");
                }
                for (String runId : runIds) {
                    api.awaitStatus(runId, "Completed");
                }
                JsonNode queue = api.get("/dev").get("queue");
                // Items already due are never paged out: a clock step wakes ten runs at once, and their
                // discovery calls (due now) may sit beside a full window until they are dispatched.
                assertTrue(queue.get("peak_held").asInt() <= WINDOW + 10, "held at most the window and the calls due: " + queue);
                assertTrue(queue.get("pages_read").asInt() >= RUNS / WINDOW, "the backlog was paged in: " + queue);
            }
            assertEquals(RUNS, wakeOrder.size(), "each run woke once");
            assertTrue(isSortedInGroupsOfTen(wakeOrder), "runs woke in due order: " + wakeOrder);
            assertTrue(sdk.violations().isEmpty(), sdk.violations().toString());
        }
    }

    /** Within one clock step several runs are due at once and run concurrently; across steps, order holds. */
    private static boolean isSortedInGroupsOfTen(List<Integer> slots) {
        for (int k = 0; k + 1 < slots.size(); k++) {
            if (slots.get(k) / 10 > slots.get(k + 1) / 10) {
                return false;
            }
        }
        return true;
    }

    private static DevServer start(Path db, ManualClock clock) {
        return DevServer.builder().port(0).database(db).clock(clock).retryDelayScale(0.001).queueWindow(WINDOW).start();
    }
}
