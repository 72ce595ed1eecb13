package dev.loomstep.devserver.flow;

import static dev.loomstep.devserver.flow.Events.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.loomstep.flow.Priority;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class PrioritiesTest {
    final Priority byPlan = new Priority("event.data.plan == 'enterprise' ? 120 : event.data.plan == 'free' ? -60 : 0");

    @Test
    void evaluatesTheRunExpressionInSeconds() {
        assertEquals(120, Priorities.offsetSeconds(byPlan, json("{\"data\": {\"plan\": \"enterprise\"}}")));
        assertEquals(-60, Priorities.offsetSeconds(byPlan, json("{\"data\": {\"plan\": \"free\"}}")));
        assertEquals(0, Priorities.offsetSeconds(byPlan, json("{\"data\": {\"plan\": \"pro\"}}")));
        assertEquals(30, Priorities.offsetSeconds(new Priority("event.data.boost"), json("{\"data\": {\"boost\": 30.9}}")));
    }

    @Test
    void clampsToTenMinutesEitherWay() {
        assertEquals(600, Priorities.offsetSeconds(new Priority("event.data.p"), json("{\"data\": {\"p\": 5000}}")));
        assertEquals(-600, Priorities.offsetSeconds(new Priority("event.data.p"), json("{\"data\": {\"p\": -5000}}")));
    }

    @Test
    void fallsBackToZero() {
        assertEquals(0, Priorities.offsetSeconds(null, json("{}")));
        assertEquals(0, Priorities.offsetSeconds(new Priority(null), json("{}")));
        assertEquals(0, Priorities.offsetSeconds(new Priority("event.data.p"), json("{\"data\": {}}")), "missing field");
        assertEquals(0, Priorities.offsetSeconds(new Priority("event.data.p"), json("{\"data\": {\"p\": \"high\"}}")), "not a number");
    }

    @Test
    void queuesAPositivePriorityEarlier() {
        Instant enqueued = Instant.parse("2024-03-01T12:00:00Z");
        assertEquals(Instant.parse("2024-03-01T11:58:00Z"), Priorities.queueTime(enqueued, byPlan, json("{\"data\": {\"plan\": \"enterprise\"}}")));
        assertEquals(Instant.parse("2024-03-01T12:01:00Z"), Priorities.queueTime(enqueued, byPlan, json("{\"data\": {\"plan\": \"free\"}}")));
    }

    @Test
    void rejectsAnExpressionThatDoesNotCompile() {
        assertThrows(IllegalArgumentException.class, () -> Priorities.validate(new Priority("event.data.p +")));
    }
}
