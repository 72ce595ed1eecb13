package dev.loomstep.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Event;
import dev.loomstep.Function;
import dev.loomstep.Loomstep;
import dev.loomstep.NonRetriableException;
import dev.loomstep.Trigger;
import dev.loomstep.devserver.DevServer;
import dev.loomstep.protocol.Json;
import dev.loomstep.undertow.LoomstepServer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Each meter's value after real runs of an app served over HTTP to a real devserver. */
class LoomstepMetricsTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private static final AtomicInteger flakyCalls = new AtomicInteger();
    private static final AtomicInteger moodyCalls = new AtomicInteger();
    private static volatile CountDownLatch inSlowStep;
    private static volatile CountDownLatch releaseSlowStep;
    private static DevServer dev;
    private static LoomstepServer server;
    private static Loomstep app;

    @BeforeAll
    static void start() {
        dev = DevServer.builder().port(0).inMemory().retryDelayScale(0.001).start();
        var twoSteps = Function.builder("two-steps").trigger(Trigger.event("test/two-steps"))
                .handler(JsonNode.class, (in, step) -> {
                    int a = step.run("a", Integer.class, () -> 1);
                    int b = step.run("b", Integer.class, () -> a + 1);
                    return a + b;
                });
        var flaky = Function.builder("flaky").trigger(Trigger.event("test/flaky")).retries(3)
                .handler(JsonNode.class, (in, step) -> step.run("wobbly", String.class, () -> {
                    if (flakyCalls.incrementAndGet() == 1) {
                        throw new IllegalStateException("first attempt fails");
                    }
                    return "ok";
                }));
        var broken = Function.builder("broken").trigger(Trigger.event("test/broken")).retries(3)
                .handler(JsonNode.class, (in, step) -> step.run("doomed", String.class, () -> {
                    throw new NonRetriableException("never works");
                }));
        var slow = Function.builder("slow").trigger(Trigger.event("test/slow"))
                .handler(JsonNode.class, (in, step) -> step.run("wait", String.class, () -> {
                    inSlowStep.countDown();
                    releaseSlowStep.await(30, TimeUnit.SECONDS);
                    return "done";
                }));
        var moody = Function.builder("moody").trigger(Trigger.event("test/moody")).retries(3)
                .handler(JsonNode.class, (in, step) -> {
                    if (moodyCalls.incrementAndGet() == 1) {
                        throw new IllegalStateException("the function itself fails once");
                    }
                    return "fine";
                });
        app = Loomstep.builder("metrics-app").dev(dev.url()).functions(twoSteps, flaky, broken, slow, moody)
                .middleware(new LoomstepMetrics(registry)).build();
        server = LoomstepServer.builder(app).port(0).start();
        server.register(dev.url());
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
        if (dev != null) {
            dev.close();
        }
    }

    @Test
    void countsACompletedRunItsStepsAndItsCheckpoints() throws Exception {
        awaitRun(app.send(Event.of("test/two-steps", null)).get(0), "Completed");

        assertEquals(1, count("loomstep.runs.started", "two-steps"));
        assertEquals(1, count("loomstep.runs.completed", "two-steps"));
        assertEquals(0, count("loomstep.runs.failed", "two-steps"));
        var duration = registry.find("loomstep.step.duration").tags("app", "metrics-app", "function", "two-steps", "kind", "run",
                "status", "completed").timer();
        assertEquals(2, duration.count());
        assertTrue(duration.totalTime(TimeUnit.NANOSECONDS) > 0);
        var attempts = registry.find("loomstep.step.attempts").tags("function", "two-steps", "status", "completed").summary();
        assertEquals(2, attempts.count());
        assertEquals(1.0, attempts.max());
        // The devserver offers checkpointing, so the steps were checkpointed rather than answered one by one.
        var checkpoints = registry.find("loomstep.checkpoint.latency").tags("function", "two-steps", "status", "acknowledged").timer();
        assertTrue(checkpoints.count() >= 1, "checkpoints: " + checkpoints.count());
        assertTrue(checkpoints.totalTime(TimeUnit.NANOSECONDS) > 0);
        assertEquals(0, registry.find("loomstep.checkpoint.latency").tags("status", "failed").timer().count());
    }

    @Test
    void aRetriedStepCountsItsErroredAttemptAndItsAttempts() throws Exception {
        flakyCalls.set(0);
        awaitRun(app.send(Event.of("test/flaky", null)).get(0), "Completed");

        assertEquals(1, count("loomstep.runs.started", "flaky"), "the retried call is not a new run");
        assertEquals(1, count("loomstep.runs.completed", "flaky"));
        assertEquals(1, registry.find("loomstep.step.duration").tags("function", "flaky", "status", "errored").timer().count());
        assertEquals(1, registry.find("loomstep.step.duration").tags("function", "flaky", "status", "completed").timer().count());
        var attempts = registry.find("loomstep.step.attempts").tags("function", "flaky", "status", "completed").summary();
        assertEquals(1, attempts.count());
        assertEquals(2.0, attempts.totalAmount(), "the step took two attempts");
        assertEquals(0, count("loomstep.function.retries", "flaky"), "the step was retried, not the function");
    }

    @Test
    void aStepThatFailsForGoodFailsTheRun() throws Exception {
        awaitRun(app.send(Event.of("test/broken", null)).get(0), "Failed");

        assertEquals(1, count("loomstep.runs.started", "broken"));
        assertEquals(1, count("loomstep.runs.failed", "broken"));
        assertEquals(0, count("loomstep.runs.completed", "broken"));
        var failed = registry.find("loomstep.step.attempts").tags("function", "broken", "status", "failed").summary();
        assertEquals(1, failed.count());
        assertEquals(1.0, failed.totalAmount());
        assertEquals(1, registry.find("loomstep.step.duration").tags("function", "broken", "status", "errored").timer().count());
    }

    @Test
    void aFunctionThatThrowsOnceCountsARetryAndOneRun() throws Exception {
        moodyCalls.set(0);
        awaitRun(app.send(Event.of("test/moody", null)).get(0), "Completed");

        assertEquals(1, count("loomstep.runs.started", "moody"));
        assertEquals(1, count("loomstep.function.retries", "moody"));
        assertEquals(1, count("loomstep.runs.completed", "moody"));
        assertEquals(0, count("loomstep.runs.failed", "moody"));
    }

    @Test
    void showsTheCallsInFlight() throws Exception {
        inSlowStep = new CountDownLatch(1);
        releaseSlowStep = new CountDownLatch(1);
        String eventId = app.send(Event.of("test/slow", null)).get(0);
        try {
            assertTrue(inSlowStep.await(30, TimeUnit.SECONDS), "the slow step never started");
            assertEquals(1.0, inFlight().value());
        } finally {
            releaseSlowStep.countDown();
        }
        awaitRun(eventId, "Completed");
        poll("no call in flight", () -> inFlight().value() == 0.0);
    }

    private static Gauge inFlight() {
        Gauge gauge = registry.find("loomstep.calls.in.flight").tags("app", "metrics-app").gauge();
        assertNotNull(gauge, "no loomstep.calls.in.flight gauge for the app");
        return gauge;
    }

    private static double count(String name, String function) {
        var counter = registry.find(name).tags("app", "metrics-app", "function", function).counter();
        return counter == null ? 0 : counter.count();
    }

    private static void awaitRun(String eventId, String status) throws Exception {
        JsonNode[] last = {null};
        poll("a " + status + " run of event " + eventId, () -> {
            last[0] = get("/v1/events/" + eventId + "/runs").path("data");
            for (JsonNode run : last[0]) {
                if (status.equals(run.path("status").asText())) {
                    return true;
                }
            }
            return false;
        });
    }

    private static JsonNode get(String path) {
        try {
            var response = HTTP.send(HttpRequest.newBuilder(URI.create(dev.url() + path)).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return Json.mapper().readTree(response.body());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static void poll(String what, BooleanSupplier done) throws InterruptedException {
        Instant deadline = Instant.now().plusSeconds(30);
        while (!done.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("no " + what + " within 30 s");
            }
            Thread.sleep(20);
        }
    }
}
