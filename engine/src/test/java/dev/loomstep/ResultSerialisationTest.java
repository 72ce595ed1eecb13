package dev.loomstep;

import static dev.loomstep.Calls.body;
import static dev.loomstep.Calls.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.protocol.CallResult;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** A step or function result that would not be recorded as it is fails before it is recorded, once. */
class ResultSerialisationTest {
    /** The classic trap: private fields, no getters. Jackson writes it as {}. */
    static final class Money {
        private final long cents;
        private final String currency;

        Money(long cents, String currency) {
            this.cents = cents;
            this.currency = currency;
        }
    }

    /** Written fine through its getters, but nothing can construct it back. */
    public static final class Receipt {
        private final String id;

        public Receipt(String id, int ignored) {
            this.id = id;
        }

        public String getId() {
            return id;
        }
    }

    public record Amount(long cents, String currency) {}

    public static class Animal {
        public String name;
    }

    public static class Dog extends Animal {
        public String breed;
    }

    final AtomicInteger bodyRuns = new AtomicInteger();

    <T> Callable<T> once(T value) {
        return () -> {
            bodyRuns.incrementAndGet();
            return value;
        };
    }

    CallResult runStep(Function<JsonNode, Object> fn) {
        Loomstep app = Loomstep.builder("app").config(Config.from(Map.of("INNGEST_DEV", "1"))).functions(fn).build();
        return app.call("app-" + fn.id(), "step", request().maxAttempts(4).build(), null);
    }

    static Function<JsonNode, Object> fn(FunctionHandler<JsonNode, Object> handler) {
        return Function.builder("f").trigger(Trigger.event("test/event")).handler(handler);
    }

    /** Asserts the answer is a final StepFailed whose message contains every fragment, and the body ran once. */
    void assertFailsForGood(CallResult r, String... fragments) {
        assertFailsForGood(r, 1, fragments);
    }

    /** As above, with the number of times the body ran: 0 when the declared type alone was refused. */
    void assertFailsForGood(CallResult r, int runs, String... fragments) {
        assertEquals(206, r.status());
        assertTrue(r.noRetry(), "a programming error is not retried");
        JsonNode op = body(r).get(0);
        assertEquals("StepFailed", op.get("op").asText(), op.toString());
        assertEquals("NonRetriableError", op.get("error").get("name").asText());
        String message = op.get("error").get("message").asText();
        assertFalse(message.contains("\n"), "one line: " + message);
        for (String f : fragments) {
            assertTrue(message.contains(f), "\"" + f + "\" in: " + message);
        }
        assertEquals(runs, bodyRuns.get());
    }

    JsonNode assertRecorded(CallResult r) {
        JsonNode op = body(r).get(0);
        assertEquals("StepRun", op.get("op").asText(), op.toString());
        assertEquals(1, bodyRuns.get());
        return op.get("data");
    }

    @Test
    void aClassWithPrivateFieldsAndNoGettersFailsTheStepNamingTheTypeAndTheFix() {
        CallResult r = runStep(fn((in, step) -> step.run("charge", Money.class, once(new Money(500, "EUR")))));
        // Refused from its declared type, before the body (the side effect) runs at all.
        assertFailsForGood(r, 0, "step \"charge\"", Money.class.getName(), "no properties", "record", "TypeReference", "was not run");
    }

    @Test
    void aPlainObjectFailsTheStepInsteadOfBeingRecordedAsEmpty() {
        CallResult r = runStep(fn((in, step) -> step.run("lock", Object.class, once(new Object()))));
        assertFailsForGood(r, "java.lang.Object", "would be recorded as {}");
    }

    @Test
    void anUnreadableClassNestedInAMapIsNamed() {
        Map<String, Object> value = new LinkedHashMap<>();
        value.put("total", new Money(1, "EUR"));
        CallResult r = runStep(fn((in, step) -> step.run("sum", new TypeReference<Map<String, Object>>() {}, once(value))));
        assertFailsForGood(r, "inside it, " + Money.class.getName());
    }

    @Test
    void aTypeJacksonWritesButCannotReadBackFailsTheStep() {
        CallResult r = runStep(fn((in, step) -> step.run("pay", Receipt.class, once(new Receipt("r-1", 0)))));
        assertFailsForGood(r, 0, Receipt.class.getName(), "not construct", "no-argument constructor, @JsonCreator", "was not run");
    }

    @Test
    void aListOfAClassWithoutPropertiesIsRefusedBeforeTheBodyRuns() {
        CallResult r = runStep(fn((in, step) -> step.run("charges", new TypeReference<List<Money>>() {}, once(List.of(new Money(1, "EUR"))))));
        assertFailsForGood(r, 0, "whose content type " + Money.class.getName(), "no properties", "was not run");
    }

    @Test
    void aSubclassWhoseFieldsTheDeclaredTypeDropsFailsNamingTheField() {
        var dog = new Dog();
        dog.name = "Rex";
        dog.breed = "collie";
        CallResult r = runStep(fn((in, step) -> step.run("adopt", Animal.class, once(dog))));
        assertFailsForGood(r, "reads back as " + Animal.class.getName(), "/breed");
    }

    @Test
    void anOptionalFailsTheStepWithAFix() {
        CallResult r = runStep(fn((in, step) -> step.run("find", new TypeReference<Optional<String>>() {}, once(Optional.of("x")))));
        assertFailsForGood(r, "Optional", "return the value or null");
    }

    @Test
    void recordsAreRecordedWithTheirFields() {
        JsonNode data = assertRecorded(runStep(fn((in, step) -> step.run("amount", Amount.class, once(new Amount(5, "EUR"))))));
        assertEquals(5, data.get("cents").asLong());
        assertEquals("EUR", data.get("currency").asText());
    }

    @Test
    void genericResultsDeclaredWithATypeReferenceAreRecorded() {
        var type = new TypeReference<List<Amount>>() {};
        JsonNode data = assertRecorded(runStep(fn((in, step) -> step.run("list", type, once(List.of(new Amount(1, "EUR"), new Amount(2, "USD")))))));
        assertEquals(2, data.size());
        assertEquals("USD", data.get(1).get("currency").asText());
    }

    @Test
    void listsMapsScalarsAndTimesAreRecorded() {
        assertRecorded(runStep(fn((in, step) -> step.run("m", new TypeReference<Map<String, Integer>>() {}, once(Map.of("a", 1))))));
        bodyRuns.set(0);
        assertRecorded(runStep(fn((in, step) -> step.run("l", new TypeReference<List<Object>>() {}, once(List.of(1, "b", 3L, 2.5))))));
        bodyRuns.set(0);
        assertEquals(7L, assertRecorded(runStep(fn((in, step) -> step.run("n", Long.class, once(7L))))).asLong());
        bodyRuns.set(0);
        assertRecorded(runStep(fn((in, step) -> step.run("t", Instant.class, once(Instant.parse("2026-01-01T00:00:00Z"))))));
    }

    @Test
    void nullAndVoidStepsAreRecordedAsNull() {
        assertTrue(assertRecorded(runStep(fn((in, step) -> step.run("n", Amount.class, once(null))))).isNull());
        bodyRuns.set(0);
        Consumer<Step> v = step -> step.run("v", () -> bodyRuns.incrementAndGet());
        assertTrue(assertRecorded(runStep(fn((in, step) -> {
            v.accept(step);
            return null;
        }))).isNull());
    }

    @Test
    void aMemoizedResultIsReadWithoutRunningTheBodyOrTheCheck() {
        Loomstep app = Loomstep.builder("app").config(Config.from(Map.of("INNGEST_DEV", "1")))
                .functions(fn((in, step) -> step.run("amount", Amount.class, once(new Amount(5, "EUR"))).cents())).build();
        CallResult r = app.call("app-f", "step", request().memo("amount", Map.of("cents", 9, "currency", "EUR")).build(), null);
        assertEquals(200, r.status());
        assertEquals(9, body(r).asInt());
        assertEquals(0, bodyRuns.get());
    }

    @Test
    void aFunctionResultWithoutVisiblePropertiesFailsTheRunForGood() {
        Loomstep app = Loomstep.builder("app").config(Config.from(Map.of("INNGEST_DEV", "1")))
                .functions(fn((in, step) -> new Money(1, "EUR"))).build();
        CallResult r = app.call("app-f", "step", request().build(), null);
        assertEquals(400, r.status());
        assertTrue(r.noRetry());
        String message = body(r).get("message").asText();
        assertTrue(message.startsWith("function \"app-f\" returned " + Money.class.getName()), message);
    }
}
