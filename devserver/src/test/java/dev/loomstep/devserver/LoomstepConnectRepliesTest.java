package dev.loomstep.devserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Function;
import dev.loomstep.Loomstep;
import dev.loomstep.NonRetriableException;
import dev.loomstep.RetryAfterException;
import dev.loomstep.Trigger;
import dev.loomstep.connect.LoomstepConnect;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * What Loomstep's Connect worker's replies mean once a real gateway reads them. The worker turns its
 * endpoint's HTTP answer into an SDKResponse (2xx DONE, 206 NOT_COMPLETED, anything else ERROR, with
 * {@code no_retry} and {@code retry_after} from the headers); Inngest's connect driver turns that back
 * into the HTTP answer it stands for (DONE 200, NOT_COMPLETED 206, ERROR 500, {@code no_retry} and
 * {@code retry_after} as the headers), as the devserver's gateway does. Each test checks end to end,
 * through the devserver's gateway, that the exception a function throws has the effect it has over
 * HTTP. Two workers of one app serve every call, each limited to two at a time.
 */
@Timeout(120)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LoomstepConnectRepliesTest {
    static final int MAX_CONCURRENCY = 2;

    DevServer dev;
    Api api;
    LoomstepConnect first;
    LoomstepConnect second;

    final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
    final List<Long> patientAttemptsAt = new CopyOnWriteArrayList<>();
    final List<Long> patientStepAttemptsAt = new CopyOnWriteArrayList<>();
    /** Per worker: requests of {@code hold} running now, and the most at once. */
    final Map<String, AtomicInteger> holding = new ConcurrentHashMap<>();
    final Map<String, AtomicInteger> peakHolding = new ConcurrentHashMap<>();
    volatile CountDownLatch releaseHold = new CountDownLatch(0);

    private int count(String what) {
        return calls.computeIfAbsent(what, k -> new AtomicInteger()).incrementAndGet();
    }

    private List<Function<?, ?>> functions(String worker) {
        var refuses = Function.builder("refuses").retries(3).trigger(Trigger.event("r/refuses"))
                .onFailure((in, step) -> "handled: " + in.data().error().message())
                .handler((in, step) -> {
                    count("refuses");
                    throw new NonRetriableException("bad input");
                });
        var refusesInStep = Function.builder("refuses-in-step").retries(3).trigger(Trigger.event("r/refuses-in-step"))
                .onFailure((in, step) -> "handled: " + in.data().error().message())
                .handler((in, step) -> step.run("check", String.class, () -> {
                    count("refuses-in-step");
                    throw new NonRetriableException("bad step input");
                }));
        var patient = Function.builder("patient").retries(3).trigger(Trigger.event("r/patient")).handler((in, step) -> {
            patientAttemptsAt.add(System.nanoTime());
            if (in.attempt() == 0) {
                throw new RetryAfterException("rate limited", Duration.ofSeconds(2));
            }
            return "served on attempt " + in.attempt();
        });
        var patientStep = Function.builder("patient-step").retries(3).trigger(Trigger.event("r/patient-step")).handler((in, step) ->
                step.run("call", String.class, () -> {
                    patientStepAttemptsAt.add(System.nanoTime());
                    if (in.attempt() == 0) {
                        throw new RetryAfterException("rate limited", Duration.ofSeconds(2));
                    }
                    return "served on attempt " + in.attempt();
                }));
        var crashes = Function.builder("crashes").retries(2).trigger(Trigger.event("r/crashes")).handler((in, step) -> {
            count("crashes");
            if (in.attempt() < 2) {
                throw new IllegalStateException("crash " + in.attempt());
            }
            return "up on attempt " + in.attempt();
        });
        var exhausted = Function.builder("exhausted").retries(1).trigger(Trigger.event("r/exhausted"))
                .onFailure((in, step) -> "handled: " + in.data().error().message())
                .handler((in, step) -> step.run("a", String.class, () -> {
                    count("exhausted");
                    throw new IllegalStateException("always");
                }));
        var hold = Function.builder("hold").trigger(Trigger.event("r/hold")).handler((in, step) -> step.run("held", String.class, () -> {
            int now = holding.computeIfAbsent(worker, k -> new AtomicInteger()).incrementAndGet();
            peakHolding.computeIfAbsent(worker, k -> new AtomicInteger()).accumulateAndGet(now, Math::max);
            try {
                releaseHold.await(30, TimeUnit.SECONDS);
            } finally {
                holding.get(worker).decrementAndGet();
            }
            return worker;
        }));
        return List.of(refuses, refusesInStep, patient, patientStep, crashes, exhausted, hold);
    }

    private LoomstepConnect worker(String id) {
        var app = Loomstep.builder("r").dev(dev.url()).functions(functions(id)).build();
        var w = LoomstepConnect.builder(app).instanceId(id).maxConcurrency(MAX_CONCURRENCY).connectTimeout(Duration.ofSeconds(30)).build();
        w.connect();
        return w;
    }

    @BeforeAll
    void start() {
        dev = DevServer.builder().port(0).connectPort(0).inMemory().retryDelayScale(0.001).start();
        api = new Api(dev);
        first = worker("r-1");
        second = worker("r-2");
        Api.await(() -> api.get("/v1/apps").get("data"), d -> d.size() == 1 && d.get(0).get("connections").size() == 2,
                "both workers' connections");
    }

    @AfterAll
    void stop() {
        releaseHold.countDown();
        for (var w : new LoomstepConnect[] {first, second}) {
            if (w != null) {
                w.close();
            }
        }
        if (dev != null) {
            dev.close();
        }
    }

    private JsonNode onFailureRun(String function) {
        return Api.await(() -> api.get("/v1/runs?function=r-" + function + "-failure&status=Completed").get("data"),
                d -> d.size() == 1, "the onFailure run of " + function).get(0);
    }

    @Test
    void aNonRetriableExceptionFailsTheRunAtOnceAndRunsOnFailure() {
        JsonNode run = api.awaitStatus(api.runOf(api.send("r/refuses", Map.of())), "Failed");

        assertEquals("bad input", run.get("error").get("message").asText(), run.toString());
        assertEquals(1, calls.get("refuses").get(), "one attempt despite retries(3): " + run);
        assertEquals("handled: bad input", onFailureRun("refuses").get("output").asText());
    }

    @Test
    void aNonRetriableExceptionInAStepFailsTheRunAtOnceAndRunsOnFailure() {
        JsonNode run = api.awaitStatus(api.runOf(api.send("r/refuses-in-step", Map.of())), "Failed");

        assertEquals(1, calls.get("refuses-in-step").get(), "one attempt despite retries(3): " + run);
        assertEquals(1, run.get("steps").get(0).get("attempts").asInt(), run.toString());
        assertEquals("handled: bad step input", onFailureRun("refuses-in-step").get("output").asText());
    }

    @Test
    void aRetryAfterExceptionIsRetriedNoEarlierThanAsked() {
        JsonNode run = api.awaitStatus(api.runOf(api.send("r/patient", Map.of())), "Completed");

        assertEquals("served on attempt 1", run.get("output").asText(), run.toString());
        assertEquals(2, patientAttemptsAt.size());
        long gapMs = TimeUnit.NANOSECONDS.toMillis(patientAttemptsAt.get(1) - patientAttemptsAt.get(0));
        assertTrue(gapMs >= 2000, "the retry came " + gapMs + " ms after the first attempt; Retry-After asked for 2 s");
    }

    @Test
    void aRetryAfterExceptionInAStepIsRetriedNoEarlierThanAsked() {
        JsonNode run = api.awaitStatus(api.runOf(api.send("r/patient-step", Map.of())), "Completed");

        assertEquals("served on attempt 1", run.get("output").asText(), run.toString());
        assertEquals(2, patientStepAttemptsAt.size());
        long gapMs = TimeUnit.NANOSECONDS.toMillis(patientStepAttemptsAt.get(1) - patientStepAttemptsAt.get(0));
        assertTrue(gapMs >= 2000, "the step's retry came " + gapMs + " ms after its first attempt; Retry-After asked for 2 s");
    }

    @Test
    void aFunctionThatThrowsIsRetriedPerItsPolicyUntilItSucceeds() {
        JsonNode run = api.awaitStatus(api.runOf(api.send("r/crashes", Map.of())), "Completed");

        assertEquals("up on attempt 2", run.get("output").asText(), run.toString());
        assertEquals(3, calls.get("crashes").get());
        assertEquals(2, run.get("attempt_errors").size(), run.toString());
    }

    @Test
    void aStepThatKeepsFailingUsesItsRetriesThenFailsTheRunAndRunsOnFailure() {
        JsonNode run = api.awaitStatus(api.runOf(api.send("r/exhausted", Map.of())), "Failed");

        assertEquals("always", run.get("error").get("message").asText(), run.toString());
        assertEquals(2, calls.get("exhausted").get(), "retries(1): two attempts");
        assertEquals("handled: always", onFailureRun("exhausted").get("output").asText());
    }

    @Test
    void twoWorkersShareTheCallsAndNeitherHoldsMoreThanItsMaxConcurrency() {
        releaseHold = new CountDownLatch(1);
        int runs = 6;
        var runIds = new java.util.ArrayList<String>();
        for (int i = 0; i < runs; i++) {
            runIds.add(api.runOf(api.send("r/hold", Map.of("i", i))));
        }
        // Both workers full: 2 × 2 held, the other two calls wait for a free slot.
        Api.await(() -> holding.values().stream().mapToInt(AtomicInteger::get).sum(), n -> n == 2 * MAX_CONCURRENCY,
                "both workers holding their maximum");
        releaseHold.countDown();
        var servedBy = new java.util.HashMap<String, Integer>();
        for (String id : runIds) {
            servedBy.merge(api.awaitStatus(id, "Completed").get("output").asText(), 1, Integer::sum);
        }

        assertEquals(2, servedBy.size(), "calls went to both workers: " + servedBy);
        assertTrue(servedBy.values().stream().allMatch(n -> n >= MAX_CONCURRENCY), "balanced: " + servedBy);
        peakHolding.forEach((w, peak) -> assertTrue(peak.get() <= MAX_CONCURRENCY, w + " held " + peak + " at once"));
    }
}
