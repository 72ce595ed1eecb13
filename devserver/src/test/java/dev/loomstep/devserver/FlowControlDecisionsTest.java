package dev.loomstep.devserver;

import static dev.loomstep.devserver.FakeSdk.done;
import static dev.loomstep.devserver.FakeSdk.ops;
import static dev.loomstep.devserver.FakeSdk.stepRun;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loomstep.Event;
import dev.loomstep.devserver.flow.FlowControl;
import dev.loomstep.devserver.executor.Policies;
import dev.loomstep.devserver.store.FunctionRecord;
import dev.loomstep.devserver.store.RunRecord;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The executor honours every decision the flow-control policy can make. */
@Timeout(30)
class FlowControlDecisionsTest {

    /** A scripted flow control: the event's data.mode decides; the first call of each run is held back once. */
    static final class Scripted implements FlowControl {
        volatile RunStarter starter;
        final AtomicReference<List<Event>> held = new AtomicReference<>();
        final Set<String> heldBack = ConcurrentHashMap.newKeySet();
        final AtomicInteger after = new AtomicInteger();
        final Set<String> finished = ConcurrentHashMap.newKeySet();

        @Override
        public void attach(RunStarter s) {
            starter = s;
        }

        @Override
        public Admission admit(FunctionRecord function, List<Event> events, Instant now) {
            return switch (events.get(0).data().path("mode").asText()) {
                case "skip" -> new Admission.Skip("scripted skip");
                case "hold" -> {
                    held.set(events);
                    yield new Admission.Held("scripted hold");
                }
                case "later" -> new Admission.Start(now.plusMillis(300));
                default -> new Admission.Start(now);
            };
        }

        @Override
        public Duration beforeCall(FunctionRecord function, RunRecord run) {
            return heldBack.add(run.id()) ? Duration.ofMillis(100) : Duration.ZERO;
        }

        @Override
        public void afterCall(FunctionRecord function, RunRecord run) {
            after.incrementAndGet();
        }

        @Override
        public void runFinished(FunctionRecord function, RunRecord run) {
            finished.add(run.id());
        }
    }

    @Test
    void skipsHoldsDelaysAndGatesRunsAsTheFlowControlDecides() throws Exception {
        var flow = new Scripted();
        var defaults = Policies.defaults();
        try (DevServer dev = DevServer.builder().port(0).inMemory().retryDelayScale(0.001)
                        .policies(new Policies(defaults.expressions(), defaults.schedules(), flow)).start();
                FakeSdk sdk = new FakeSdk("app")) {
            sdk.fn("f").on("test/f").handler(c -> c.has("a") ? done(c.event().path("data").path("mode")) : ops(stepRun("a", 1)));
            sdk.sync(dev);
            Api api = new Api(dev);
            assertNotNull(flow.starter, "the run starter is attached at start");

            String skipped = api.send("test/f", Map.of("mode", "skip"));
            String held = api.send("test/f", Map.of("mode", "hold"));
            long sent = System.currentTimeMillis();
            String later = api.runOf(api.send("test/f", Map.of("mode", "later")));
            String now = api.runOf(api.send("test/f", Map.of("mode", "now")));

            assertEquals("now", api.awaitStatus(now, "Completed").get("output").asText());
            assertEquals("later", api.awaitStatus(later, "Completed").get("output").asText());
            assertTrue(Api.await(() -> api.run(later).get("run_started_at").asText(), s -> !s.isEmpty(), "start")
                    .compareTo(Instant.ofEpochMilli(sent + 300).toString()) >= 0, "a delayed start is honoured");
            assertEquals(0, api.get("/v1/events/" + skipped + "/runs").get("data").size());
            assertEquals(0, api.get("/v1/events/" + held + "/runs").get("data").size());

            String released = flow.starter.start("app-f", flow.held.get());
            assertEquals("hold", api.awaitStatus(released, "Completed").get("output").asText());
            assertTrue(sdk.calls("f").stream().allMatch(c -> c.attempt() == 0), "a call held back spends no attempt");
            assertEquals(sdk.calls("f").size(), flow.after.get(), "every call let through is released once");
            Api.await(() -> flow.finished, f -> f.containsAll(List.of(now, later, released)), "runFinished for every run");
        }
    }
}
