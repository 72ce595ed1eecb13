package dev.loomstep.devserver;

import static dev.loomstep.devserver.FakeSdk.done;
import static dev.loomstep.devserver.FakeSdk.ops;
import static dev.loomstep.devserver.FakeSdk.planned;
import static dev.loomstep.devserver.FakeSdk.stepRun;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.protocol.WireOp;
import java.util.ArrayList;
import java.util.IntSummaryStatistics;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A planned fan-out (the SDK answers N {@code StepPlanned}, the devserver makes N targeted calls), as the
 * official JS SDK and Loomstep in classic mode drive it, over real loopback HTTP: what each targeted call
 * carries, and that the bytes a fan-out ships grow linearly with N, not with N².
 */
@Timeout(120)
class PlannedFanOutTest extends ScriptedDevServerTest {
    /** Each branch returns a string this long, so the state a call carries is easy to see in its size. */
    private static final String VALUE = "x".repeat(100);

    /** What one fan-out run cost on the wire. */
    record FanOut(int n, IntSummaryStatistics targeted, int lastDiscoveryBytes, int discoveries, long millis, long commits, long units) {
        long fanOutBytes() {
            return targeted.getSum();
        }

        @Override
        public String toString() {
            return "fan-out of " + n + ": " + targeted.getCount() + " targeted calls, " + fanOutBytes() + " bytes ("
                    + targeted.getMin() + "…" + targeted.getMax() + " per call), last discovery " + lastDiscoveryBytes
                    + " bytes, " + discoveries + " discoveries, " + units + " store units in " + commits + " commits, " + millis + " ms";
        }
    }

    /** One run of {@code n} parallel steps (step i returns {@link #VALUE} + i), each in its targeted call. */
    private FanOut fanOut(String fnId, int n) throws Exception {
        sdk.fn(fnId).on("test/" + fnId).handler(c -> {
            if (c.discovery()) {
                var missing = new ArrayList<WireOp>();
                for (int i = 0; i < n; i++) {
                    if (!c.has("s" + i)) {
                        missing.add(planned("s" + i));
                    }
                }
                return missing.isEmpty() ? done(c.steps().size()) : ops(missing.toArray(WireOp[]::new));
            }
            for (int i = 0; i < n; i++) {
                if (c.targets("s" + i)) {
                    return ops(stepRun("s" + i, VALUE + i));
                }
            }
            return ops(new WireOp(c.stepId(), "StepNotFound", null, null, null, null, null));
        });
        sdk.sync(dev);
        JsonNode storeBefore = api.get("/dev").get("store");
        long began = System.nanoTime();
        String runId = api.runOf(api.send("test/" + fnId, Map.of()));
        JsonNode run = api.awaitStatus(runId, "Completed");
        long millis = (System.nanoTime() - began) / 1_000_000;
        JsonNode storeAfter = api.get("/dev").get("store");
        long commits = storeAfter.get("commits").asLong() - storeBefore.get("commits").asLong();
        long units = storeAfter.get("units").asLong() - storeBefore.get("units").asLong();
        assertEquals(n, run.get("output").asInt(), "the last discovery saw every branch's result");
        var calls = sdk.calls(fnId);
        var targeted = calls.stream().filter(c -> !c.discovery()).mapToInt(FakeSdk.Call::bodyBytes).summaryStatistics();
        var discoveries = calls.stream().filter(FakeSdk.Call::discovery).toList();
        assertEquals(n, targeted.getCount(), "one targeted call per branch");
        assertTrue(sdk.violations().isEmpty(), sdk.violations().toString());
        var f = new FanOut(n, targeted, discoveries.getLast().bodyBytes(), discoveries.size(), millis, commits, units);
        System.out.println("[planned-fan-out] " + f);
        return f;
    }

    @Test
    void aTargetedCallCarriesTheStateItsStepWasPlannedInSoAFanOutShipsLinearBytes() throws Exception {
        FanOut hundred = fanOut("fan100", 100);
        JsonNode after100 = api.get("/dev").get("targeted_calls");
        FanOut thousand = fanOut("fan1000", 1000);
        JsonNode after1000 = api.get("/dev").get("targeted_calls");

        // One plan each: its state is read from the store and serialised once, every other call reuses it.
        assertEquals(1, after100.get("state_reads").asLong(), after100.toString());
        assertEquals(99, after100.get("state_reuses").asLong(), after100.toString());
        assertEquals(2, after1000.get("state_reads").asLong(), after1000.toString());
        assertEquals(99 + 999, after1000.get("state_reuses").asLong(), after1000.toString());

        // The fan-out starts the run: each targeted call carries the state before the fan-out (none), not the
        // results its siblings committed meanwhile, so every call is the same size whatever N and whenever it ran.
        assertTrue(hundred.targeted().getMax() - hundred.targeted().getMin() < 64, hundred.toString());
        assertTrue(thousand.targeted().getMax() - thousand.targeted().getMin() < 64, thousand.toString());
        double ratio = (double) thousand.fanOutBytes() / hundred.fanOutBytes();
        assertTrue(ratio < 11, "10× the branches ship ~10× the bytes, not ~100×: " + ratio + "; " + hundred + "; " + thousand);
        // The discovery that continues the run carries every result: that one is O(N), as the protocol has it.
        assertTrue(thousand.lastDiscoveryBytes() > 1000 * VALUE.length(), thousand.toString());
        assertEquals(2, hundred.discoveries(), "one discovery plans the fan-out, one continues after its last branch");
        assertEquals(2, thousand.discoveries(), "one discovery plans the fan-out, one continues after its last branch");
    }

    @Test
    void callsToOneAppPastItsBoundWaitTheirTurnAndNoneFails() throws Exception {
        dev.close();
        dev = DevServer.builder().port(0).inMemory().retryDelayScale(0.001).maxCallsPerApp(5).start();
        api = new Api(dev);
        int n = 20;
        sdk.fn("slow").on("test/slow").retries(0).handler(c -> {
            if (c.discovery()) {
                var missing = new ArrayList<WireOp>();
                int sum = 0;
                for (int i = 0; i < n; i++) {
                    if (c.has("s" + i)) {
                        sum += c.data("s" + i).asInt();
                    } else {
                        missing.add(planned("s" + i));
                    }
                }
                return missing.isEmpty() ? done(sum) : ops(missing.toArray(WireOp[]::new));
            }
            Thread.sleep(20); // a slow step, so that calls pile up behind the bound
            for (int i = 0; i < n; i++) {
                if (c.targets("s" + i)) {
                    return ops(stepRun("s" + i, i));
                }
            }
            return ops(new WireOp(c.stepId(), "StepNotFound", null, null, null, null, null));
        });
        sdk.sync(dev);

        // Three runs fan out at once: 60 targeted calls to one app, at most 5 of them in flight at any time.
        var runs = new ArrayList<String>();
        for (int r = 0; r < 3; r++) {
            runs.add(api.runOf(api.send("test/slow", Map.of())));
        }
        for (String runId : runs) {
            JsonNode run = api.awaitStatus(runId, "Completed");
            assertEquals(n * (n - 1) / 2, run.get("output").asInt());
            for (JsonNode step : run.get("steps")) {
                assertEquals(1, step.get("attempts").asInt(), "waiting for a turn costs no attempt: " + step);
            }
        }
        assertEquals(5, sdk.maxTargetedInFlight(), "the bound is used, never passed");
        assertTrue(sdk.violations().isEmpty(), sdk.violations().toString());
    }

    @Test
    void aCallTheAppDropsWhileItAnswersOthersIsTriedAgainWithoutSpendingAnAttempt() throws Exception {
        var dropped = new java.util.concurrent.atomic.AtomicInteger();
        sdk.fn("drop").on("test/drop").retries(0).handler(c -> {
            if (c.discovery()) {
                return c.has("a") && c.has("b") ? done(c.data("a").asInt() + c.data("b").asInt()) : ops(planned("a"), planned("b"));
            }
            if (c.targets("a") && dropped.getAndIncrement() < 2) {
                return FakeSdk.HANG_UP; // twice, while the app answers the other calls
            }
            return c.targets("a") ? ops(stepRun("a", 1)) : ops(stepRun("b", 2));
        });
        sdk.sync(dev);

        JsonNode run = api.awaitStatus(api.runOf(api.send("test/drop", Map.of())), "Completed");

        assertEquals(3, run.get("output").asInt());
        assertEquals(3, dropped.get(), "dropped twice, answered the third time");
        for (JsonNode step : run.get("steps")) {
            assertEquals(1, step.get("attempts").asInt(), "retries(0), and no attempt spent on a dropped call: " + step);
        }
    }

    @Test
    void aStepPlannedByATargetedCallGetsAStateWithWhatThatCallMemoized() throws Exception {
        var sawA1 = new java.util.concurrent.atomic.AtomicBoolean();
        sdk.fn("chain").on("test/chain").retries(0).handler(c -> {
            if (c.discovery()) {
                return c.has("a2") && c.has("b") ? done(c.data("a2").asInt() + c.data("b").asInt()) : ops(planned("a1"), planned("b"));
            }
            if (c.targets("a1")) {
                return ops(stepRun("a1", 1), planned("a2")); // a branch's next step, planned from its targeted call
            }
            if (c.targets("a2")) {
                // A replay reaches a2 only through a1's result: the plan's state must be read after a1 committed.
                sawA1.set(c.has("a1"));
                return c.has("a1") ? ops(stepRun("a2", c.data("a1").asInt() + 1)) : ops(new WireOp(c.stepId(), "StepNotFound", null, null, null, null, null));
            }
            return ops(stepRun("b", 10));
        });
        sdk.sync(dev);

        JsonNode run = api.awaitStatus(api.runOf(api.send("test/chain", Map.of())), "Completed");

        assertEquals(12, run.get("output").asInt());
        assertTrue(sawA1.get(), "a2's call carried a1");
    }
}
