package dev.loomstep.devserver;

import static dev.loomstep.devserver.FakeSdk.done;
import static dev.loomstep.devserver.FakeSdk.hash;
import static dev.loomstep.devserver.FakeSdk.invoke;
import static dev.loomstep.devserver.FakeSdk.ops;
import static dev.loomstep.devserver.FakeSdk.sleepJs;
import static dev.loomstep.devserver.FakeSdk.sleepSpec;
import static dev.loomstep.devserver.FakeSdk.waitFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.protocol.Json;
import dev.loomstep.protocol.WireOp;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Durations sent empty, as the JS SDK 4.24 sends a zero or negative one ({@code ""}), read as Inngest's executor
 * reads them: a sleep wakes at once, a waitForEvent times out at once, a waitForSignal or an invoke gets the
 * one-year default. An empty {@code opts.duration} falls back to the op's name, as Inngest's does.
 */
class EmptyDurationsTest extends ScriptedDevServerTest {
    @Test
    void aSleepWithNoDurationWakesAtOnceInsteadOfFailingTheRun() throws Exception {
        sdk.fn("nap").on("test/nap").handler(c -> {
            if (!c.has("zero")) {
                return ops(sleepJs("zero", "")); // JS: step.sleep("zero", 0)
            }
            if (!c.has("named")) {
                return ops(sleepSpec("named", "")); // opts.duration "" and the name "named": neither is a duration
            }
            return done(c.memo("zero").isNull());
        });
        sdk.sync(dev);
        JsonNode run = api.awaitStatus(api.runOf(api.send("test/nap", Map.of())), "Failed");
        // The second sleep's fallback, its name "named", is no duration: that one fails, as Inngest's would.
        assertTrue(run.get("error").toString().contains("named"), run.toString());
        assertEquals("completed", run.get("steps").get(0).get("status").asText(), "the empty sleep woke: " + run);
    }

    @Test
    void anEmptyOptsDurationFallsBackToTheName() throws Exception {
        var opts = Json.nodes().objectNode().put("duration", "");
        var sleep = new WireOp(hash("nap"), "Sleep", "300ms", "nap", opts, null, null);
        long start = System.currentTimeMillis();
        sdk.fn("nap").on("test/nap").handler(c -> c.has("nap") ? done("woke") : ops(sleep));
        sdk.sync(dev);
        JsonNode run = api.awaitStatus(api.runOf(api.send("test/nap", Map.of())), "Completed");
        assertEquals("woke", run.get("output").asText());
        assertTrue(System.currentTimeMillis() - start >= 300, "slept the name's 300ms");
    }

    @Test
    void aWaitForEventWithNoTimeoutTimesOutAtOnce() throws Exception {
        sdk.fn("wait").on("test/wait").handler(c -> {
            if (!c.has("wait")) {
                return ops(waitFor("wait", "test/never", "", null));
            }
            return done(c.memo("wait").isNull() ? "timed out" : "got it");
        });
        sdk.sync(dev);
        JsonNode run = api.awaitStatus(api.runOf(api.send("test/wait", Map.of())), "Completed");
        assertEquals("timed out", run.get("output").asText());
    }

    @Test
    void aWaitForSignalWithNoTimeoutWaitsAYearAndIsResumedBySignal() throws Exception {
        var opts = Json.nodes().objectNode().put("signal", "sig-empty-timeout").put("timeout", "");
        var wait = new WireOp(hash("sig"), "WaitForSignal", "sig-empty-timeout", "sig", opts, null, null);
        sdk.fn("sig").on("test/sig").handler(c -> c.has("sig") ? done("signalled") : ops(wait));
        sdk.sync(dev);
        String runId = api.runOf(api.send("test/sig", Map.of()));
        Api.await(() -> api.run(runId).get("steps"), s -> s.size() == 1 && "waiting".equals(s.get(0).get("status").asText()),
                "the run to wait for its signal (an empty timeout used to fail it)");
        api.request("POST", "/v1/signals", "{\"signal\":\"sig-empty-timeout\",\"data\":{}}");
        JsonNode run = api.awaitStatus(runId, "Completed");
        assertEquals("signalled", run.get("output").asText());
    }

    @Test
    void anInvokeWithNoTimeoutGetsTheOneYearDefault() throws Exception {
        sdk.fn("child").handler(c -> done(c.event().path("data").path("_inngest").path("expire").asLong()));
        sdk.fn("parent").on("test/parent").handler(c -> c.has("call") ? done(c.memo("call")) : ops(invoke("call", "app-child", Map.of(), "")));
        sdk.sync(dev);
        long before = System.currentTimeMillis();
        JsonNode run = api.awaitStatus(api.runOf(api.send("test/parent", Map.of())), "Completed");
        long expire = run.get("output").path("data").asLong();
        long year = Instant.ofEpochMilli(before).atZone(java.time.ZoneOffset.UTC).plusYears(1).toInstant().toEpochMilli();
        assertTrue(Math.abs(expire - year) < Duration.ofMinutes(1).toMillis(), "the invoke expires in a year: " + run);
    }
}
