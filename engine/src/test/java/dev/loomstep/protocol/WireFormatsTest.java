package dev.loomstep.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class WireFormatsTest {
    @Test
    void durableWaitsAreWholeSecondsAndSubSecondOnesRoundUpToOne() {
        assertEquals("1s", TimeStrings.durableWait(Duration.ofMillis(1)));
        assertEquals("1s", TimeStrings.durableWait(Duration.ofMillis(500)));
        assertEquals("1s", TimeStrings.durableWait(Duration.ofNanos(1)));
        assertEquals("1s", TimeStrings.durableWait(Duration.ofMillis(1500)));
        assertEquals("1m1s", TimeStrings.durableWait(Duration.ofMillis(61_999)));
        assertEquals("2h45m", TimeStrings.durableWait(Duration.ofMinutes(165)));
        assertEquals("0s", TimeStrings.durableWait(Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> TimeStrings.durableWait(Duration.ofSeconds(-1)));
    }

    @Test
    void stepIdsAreSha1HexWithTheRepeatIndex() {
        assertEquals("86f7e437faa5a7fce15d1ddcb9eaeaea377667b8", StepIds.hash("a", 0));
        assertEquals("de89bfaf06245091a7873290a793604612302247", StepIds.hash("a", 1));
    }

    @Test
    void durationsBecomeTimeStringsLargestUnitFirst() {
        assertEquals("1s", TimeStrings.format(Duration.ofSeconds(1)));
        assertEquals("2h45m", TimeStrings.format(Duration.ofMinutes(165)));
        assertEquals("3d", TimeStrings.format(Duration.ofDays(3)));
        assertEquals("1w1d", TimeStrings.format(Duration.ofDays(8)));
        assertEquals("1s500ms", TimeStrings.format(Duration.ofMillis(1500)));
        assertEquals("0s", TimeStrings.format(Duration.ZERO));
    }

    @Test
    void timeStringsParseBack() {
        assertEquals(Duration.ofMinutes(165), TimeStrings.parse("2h45m"));
        assertEquals(Duration.ofMillis(1500), TimeStrings.parse("1.5s"));
        assertEquals(Duration.ofNanos(3000), TimeStrings.parse("3µs"));
        assertEquals(Duration.ofDays(14), TimeStrings.parse("2w"));
        var e = assertThrows(IllegalArgumentException.class, () -> TimeStrings.parse("soon"));
        assertEquals("expected a time string such as \"30s\" or \"2h45m\", got \"soon\"", e.getMessage());
    }

    @Test
    void opsFromAnySdkParseIntoTypedOps() throws Exception {
        var jsSleep = Json.mapper().readValue("{\"id\":\"x\",\"op\":\"Sleep\",\"name\":\"1s\",\"displayName\":\"nap\",\"opts\":{}}", WireOp.class);
        assertEquals("1s", ((Op.Sleep) Op.fromWire(jsSleep)).until());
        var specSleep = Json.mapper().readValue("{\"id\":\"x\",\"op\":\"Sleep\",\"opts\":{\"duration\":\"2m\"}}", WireOp.class);
        assertEquals("2m", ((Op.Sleep) Op.fromWire(specSleep)).until());
        var jsWait = Json.mapper().readValue("{\"id\":\"x\",\"op\":\"WaitForEvent\",\"name\":\"a/b\",\"opts\":{\"timeout\":\"1h\",\"if\":\"true\"}}", WireOp.class);
        var w = (Op.WaitForEvent) Op.fromWire(jsWait);
        assertEquals("a/b", w.event());
        assertEquals("true", w.ifExpression());
        var legacyStep = Json.mapper().readValue("{\"id\":\"x\",\"op\":\"Step\",\"data\":{\"k\":1}}", WireOp.class);
        assertEquals(1, ((Op.StepRun) Op.fromWire(legacyStep)).data().get("k").asInt());
        var gateway = Json.mapper().readValue("{\"id\":\"x\",\"op\":\"Gateway\",\"opts\":{\"url\":\"http://a.test/\"}}", WireOp.class);
        assertEquals("http://a.test/", ((Op.Gateway) Op.fromWire(gateway)).opts().path("url").asText());
        var ai = Json.mapper().readValue("{\"id\":\"x\",\"op\":\"AIGateway\",\"opts\":{\"format\":\"gemini\"}}", WireOp.class);
        assertEquals("gemini", ((Op.AIGateway) Op.fromWire(ai)).opts().path("format").asText());
        var future = Json.mapper().readValue("{\"id\":\"x\",\"op\":\"SomethingNew\"}", WireOp.class);
        assertInstanceOf(Op.Other.class, Op.fromWire(future));
    }

    @Test
    void typedOpsRoundTripThroughTheWire() {
        Op[] ops = {
            new Op.Sleep("i", "nap", "1s"),
            new Op.WaitForEvent("i", "w", "a/b", "1h", "event.x == async.x", null),
            new Op.InvokeFunction("i", "c", "app-child", Json.toTree(java.util.Map.of("data", java.util.Map.of())), "5m"),
            new Op.StepPlanned("i", "s", "s", Json.nodes().objectNode()),
            new Op.StepError("i", "s", "s", WireError.of("Error", "x")),
            new Op.Gateway("i", "step.fetch: a.test", Json.toTree(java.util.Map.of("url", "http://a.test/", "method", "GET"))),
            new Op.AIGateway("i", "ask", Json.toTree(java.util.Map.of("type", "step.ai.infer", "format", "anthropic"))),
        };
        for (Op op : ops) {
            assertEquals(op, Op.fromWire(op.toWire()));
        }
    }

    @Test
    void errorsCarryTheirCauseChainAndSurviveCycles() {
        var inner = new IllegalArgumentException("inner");
        var outer = new RuntimeException("outer", inner);
        inner.initCause(outer);
        WireError w = WireError.from(outer);
        assertEquals("RuntimeException", w.name());
        assertEquals("IllegalArgumentException", w.cause().name());
        assertEquals(null, w.cause().cause());
        assertTrue(w.stack().contains("outer"));
    }
}
