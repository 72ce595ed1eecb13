package dev.loomstep.devserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Checkpointing;
import dev.loomstep.Function;
import dev.loomstep.Loomstep;
import dev.loomstep.Trigger;
import dev.loomstep.devserver.store.Store;
import dev.loomstep.flow.BatchEvents;
import dev.loomstep.flow.Debounce;
import dev.loomstep.flow.RateLimit;
import dev.loomstep.flow.Singleton;
import dev.loomstep.flow.Timeouts;
import dev.loomstep.undertow.LoomstepServer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Flow control across a restart: a devserver on a database file holds events (debounce, batch) or
 * remembers keys (idempotency, rate limit, singleton, timeouts), is closed, and a new devserver on the
 * same file starts exactly the runs that should start, once. A real Loomstep app serves the functions.
 */
@Timeout(60)
class FlowControlRestartTest {
    @TempDir
    Path dir;

    Path db;
    LoomstepServer app;
    DevServer dev;
    /** Handler executions per function. */
    final Map<String, AtomicInteger> executions = new ConcurrentHashMap<>();

    @BeforeEach
    void startFirst() {
        db = dir.resolve("dev.db");
        dev = devserver(InstantSource.system());
        app = LoomstepServer.builder(Loomstep.builder("fr").dev(dev.url()).checkpointing(Checkpointing.off())
                .functions(functions()).build()).host("127.0.0.1").port(0).start();
        app.sync();
    }

    @AfterEach
    void stop() {
        if (dev != null) {
            dev.close();
        }
        if (app != null) {
            app.close();
        }
    }

    DevServer devserver(InstantSource clock) {
        return DevServer.builder().port(0).database(db).retryDelayScale(0.001).clock(clock).start();
    }

    /** Closes the devserver and starts another on the same file, on {@code clock}. */
    Api restart(InstantSource clock) {
        dev.close();
        dev = devserver(clock);
        return new Api(dev);
    }

    List<Function<?, ?>> functions() {
        return List.of(
                Function.builder("debounced").trigger(Trigger.event("fr/debounced"))
                        .debounce(Debounce.of(Duration.ofSeconds(30)))
                        .handler((in, step) -> count("debounced", in.data().path("n").asInt())),
                Function.builder("batched").trigger(Trigger.event("fr/batched"))
                        .batchEvents(BatchEvents.of(4, Duration.ofSeconds(30)))
                        .handler((in, step) -> count("batched", in.events().stream().map(e -> e.data().path("n").asInt()).toList())),
                Function.builder("idem").trigger(Trigger.event("fr/idem"))
                        .idempotency("event.data.order")
                        .handler((in, step) -> count("idem", in.data().path("order").asInt())),
                Function.builder("rated").trigger(Trigger.event("fr/rated"))
                        .rateLimit(RateLimit.of(1, Duration.ofHours(1)))
                        .handler((in, step) -> count("rated", in.data().path("n").asInt())),
                Function.builder("lonely").trigger(Trigger.event("fr/lonely"))
                        .singleton(new Singleton("event.data.user", Singleton.Mode.skip))
                        .handler((in, step) -> {
                            step.sleep("hold", Duration.ofMinutes(10));
                            return count("lonely", in.data().path("n").asInt());
                        }),
                Function.builder("stuck").trigger(Trigger.event("fr/stuck"))
                        .timeouts(new Timeouts(null, Duration.ofSeconds(2)))
                        .handler((in, step) -> {
                            step.sleep("long", Duration.ofMinutes(10));
                            return count("stuck", 1);
                        }));
    }

    private <T> T count(String fn, T result) {
        executions.computeIfAbsent(fn, k -> new AtomicInteger()).incrementAndGet();
        return result;
    }

    static JsonNode runs(Api api, String fn) {
        return api.get("/v1/runs?function=fr-" + fn).get("data");
    }

    static int runsOf(Api api, String eventId) {
        return api.get("/v1/events/" + eventId + "/runs").get("data").size();
    }

    /** What the file holds once the last devserver is closed: no held event left behind. */
    void assertNothingHeldInTheFile() {
        dev.close();
        try (Store store = Store.open(db)) {
            assertEquals(List.of(), store.heldEvents(), "every holding was taken by its run");
        }
    }

    @Test
    void aDebounceThatFellDueWhileTheDevserverWasDownStartsOnceAtStartUp() {
        Api api = new Api(dev);
        api.send("fr/debounced", Map.of("n", 1));
        api.send("fr/debounced", Map.of("n", 2));
        String last = api.send("fr/debounced", Map.of("n", 3));
        assertEquals(0, runs(api, "debounced").size(), "held for 30 s");

        // The next devserver's clock is past the 30 s period: it starts the run at once, not 30 s later.
        api = restart(new MovableClock(Instant.now().plusSeconds(31)));

        JsonNode run = api.awaitStatus(Api.await(() -> runs(new Api(dev), "debounced"), d -> d.size() == 1,
                "the debounced run").get(0).get("run_id").asText(), "Completed");
        assertEquals(3, run.get("output").asInt(), "the last event wins: " + run);
        assertEquals(last, run.get("event_id").asText());
        assertEquals(1, executions.get("debounced").get());
        assertEquals(1, runs(api, "debounced").size());
        assertNothingHeldInTheFile();
    }

    @Test
    void aDebounceStillWaitingAtARestartKeepsWaitingAndANewEventReplacesIt() {
        Api api = new Api(dev);
        api.send("fr/debounced", Map.of("n", 1));

        api = restart(InstantSource.system());
        JsonNode held = api.get("/v1/functions/fr-debounced").get("data").get("held_events");
        assertEquals(1, held.size(), "the holding is back: " + held);
        String last = api.send("fr/debounced", Map.of("n", 2));

        api = restart(new MovableClock(Instant.now().plusSeconds(31)));
        JsonNode run = api.awaitStatus(api.runOf(last), "Completed");
        assertEquals(2, run.get("output").asInt());
        assertEquals(1, runs(api, "debounced").size(), "one run for the three holdings across restarts");
        assertNothingHeldInTheFile();
    }

    @Test
    void anOpenBatchKeepsItsEventsAcrossARestartAndTheEventThatFillsItStartsOneRun() {
        Api api = new Api(dev);
        api.send("fr/batched", Map.of("n", 1));
        api.send("fr/batched", Map.of("n", 2));

        api = restart(InstantSource.system());
        api.send("fr/batched", Map.of("n", 3));
        assertEquals(0, runs(api, "batched").size(), "three of four");
        api.send("fr/batched", Map.of("n", 4));

        JsonNode run = api.awaitStatus(Api.await(() -> runs(new Api(dev), "batched"), d -> d.size() == 1,
                "the batch's run").get(0).get("run_id").asText(), "Completed");
        assertEquals(List.of(1, 2, 3, 4), FlowControlEndToEndTest.ints(run.get("output")));
        assertEquals(1, executions.get("batched").get());
        assertNothingHeldInTheFile();
    }

    @Test
    void anOpenBatchWhoseTimeoutPassedWhileDownIsReleasedAtStartUp() {
        Api api = new Api(dev);
        api.send("fr/batched", Map.of("n", 1));
        api.send("fr/batched", Map.of("n", 2));

        api = restart(new MovableClock(Instant.now().plusSeconds(31)));

        JsonNode run = api.awaitStatus(Api.await(() -> runs(new Api(dev), "batched"), d -> d.size() == 1,
                "the batch's run").get(0).get("run_id").asText(), "Completed");
        assertEquals(List.of(1, 2), FlowControlEndToEndTest.ints(run.get("output")));
        assertNothingHeldInTheFile();
    }

    @Test
    void anIdempotencyKeyAndARateLimitStillSkipDuplicatesAfterARestart() {
        Api api = new Api(dev);
        String first = api.send("fr/idem", Map.of("order", 7));
        String rated = api.send("fr/rated", Map.of("n", 1));
        api.awaitStatus(api.runOf(first), "Completed");
        api.awaitStatus(api.runOf(rated), "Completed");

        api = restart(InstantSource.system());
        String duplicate = api.send("fr/idem", Map.of("order", 7));
        String other = api.send("fr/idem", Map.of("order", 8));
        String overLimit = api.send("fr/rated", Map.of("n", 2));

        assertEquals(8, api.awaitStatus(api.runOf(other), "Completed").get("output").asInt());
        assertEquals(0, runsOf(api, duplicate), "the key was claimed before the restart");
        assertEquals(0, runsOf(api, overLimit), "the hour's one run was used before the restart");
        assertEquals(2, executions.get("idem").get());
        assertEquals(1, executions.get("rated").get());
    }

    @Test
    void aRunningSingletonStillHoldsItsKeyAndAFinishTimeoutStillFiresAfterARestart() {
        Api api = new Api(dev);
        String holder = api.runOf(api.send("fr/lonely", Map.of("user", "u1", "n", 1)));
        String stuck = api.runOf(api.send("fr/stuck", Map.of()));
        for (String run : List.of(holder, stuck)) {
            Api.await(() -> new Api(dev).run(run).get("steps"), s -> s.size() == 1 && s.get(0).get("op").asText().equals("Sleep"),
                    "run " + run + " to sleep");
        }

        api = restart(InstantSource.system());
        String skipped = api.send("fr/lonely", Map.of("user", "u1", "n", 2));
        String otherUser = api.send("fr/lonely", Map.of("user", "u2", "n", 3));

        assertEquals(0, runsOf(api, skipped), "run " + holder + " still holds user u1");
        assertEquals(1, runsOf(api, otherUser));
        // Its 10-minute sleep makes no call that could notice the 2 s timeout: the restored timer does.
        JsonNode cancelled = api.awaitStatus(stuck, "Cancelled");
        assertTrue(cancelled.get("error").toString().contains("timeouts.finish"), cancelled.toString());
        assertEquals("Running", api.run(holder).get("status").asText());
    }
}
