package dev.loomstep.devserver;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Function;
import dev.loomstep.Trigger;
import dev.loomstep.flow.Debounce;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 20's lost debounces: on a loaded machine the devserver's flow timer runs late, and an event that
 * came after the held event's period had ended, but before the timer had started its run, replaced it:
 * that run was never started. Here the machine is loaded on purpose (two busy threads per core while the
 * test runs), and each key's second event is sent once the devserver's own due time for the first (its
 * {@code due_at}, on the clock both processes read) has passed: the first event's period was quiet, so
 * both events must start a run, however late the timer is.
 */
@Timeout(120)
class DebounceUnderLoadTest {
    static final int KEYS = 8;

    @Test
    void anEventThatComesAfterTheHeldEventsDueTimeNeverSwallowsItsRunOnALoadedMachine() throws Exception {
        var burst = Function.builder("burst").trigger(Trigger.event("load/burst"))
                .debounce(new Debounce(Duration.ofSeconds(1), "event.data.key", null))
                .handler((in, step) -> in.data().path("n").asInt());
        var stop = new AtomicBoolean();
        var sink = new AtomicLong();
        var hogs = new ArrayList<Thread>();
        try (var fixture = LoomstepDevServer.builder("load").start(burst)) {
            Api api = fixture.api;
            for (int i = 0; i < 2 * Runtime.getRuntime().availableProcessors(); i++) {
                hogs.add(Thread.ofPlatform().daemon().name("cpu-hog-" + i).start(() -> {
                    long x = 0;
                    while (!stop.get()) {
                        x += System.nanoTime() % 7;
                    }
                    sink.addAndGet(x);
                }));
            }
            var firsts = new ArrayList<String>();
            var seconds = new ArrayList<String>();
            for (int k = 0; k < KEYS; k++) {
                String first = api.send("load/burst", Map.of("key", "k" + k, "n", 1));
                Instant due = dueAt(api, first);
                long wait = Duration.between(Instant.now(), due).toMillis() + 1;
                if (wait > 0) {
                    Thread.sleep(wait); // until the devserver's due time for the first event, not a guess
                }
                seconds.add(api.send("load/burst", Map.of("key", "k" + k, "n", 2)));
                firsts.add(first);
            }
            for (String second : seconds) {
                Api.await(() -> runsOf(api, second), n -> n > 0, "the run of the last event " + second);
            }
            stop.set(true);
            var lost = new ArrayList<String>();
            for (String first : firsts) {
                if (runsOf(api, first) != 1) {
                    lost.add(first);
                }
            }
            assertEquals(List.of(), lost, "first events held alone past their due time that started no run (or several)");
            for (String second : seconds) {
                assertEquals(1, runsOf(api, second), "one run for " + second);
            }
        } finally {
            stop.set(true);
            for (Thread t : hogs) {
                t.join();
            }
        }
    }

    /** When the devserver will start the run of {@code eventId}, as it holds it. */
    static Instant dueAt(Api api, String eventId) {
        return Api.await(() -> heldDue(api.get("/v1/functions/load-burst").path("data").path("held_events"), eventId),
                due -> due != null, "event " + eventId + " held");
    }

    static Instant heldDue(JsonNode held, String eventId) {
        for (JsonNode h : held) {
            for (JsonNode id : h.path("event_ids")) {
                if (id.asText().equals(eventId)) {
                    return Instant.parse(h.path("due_at").asText());
                }
            }
        }
        return null;
    }

    static int runsOf(Api api, String eventId) {
        return api.get("/v1/events/" + eventId + "/runs").path("data").size();
    }
}
