package dev.loomstep.devserver.expr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.protocol.Json;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CelCompilerTest {
    static JsonNode json(String text) {
        try {
            return Json.mapper().readTree(text);
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }

    static final JsonNode TRIGGER = json("""
            {"name": "shop/cart.created", "id": "01J", "ts": 1700000000000,
             "data": {"user_id": "u_1", "plan": "pro", "n": 1, "price": 19.5, "whole": 3.0,
                      "email": "Ada@Example.com", "tags": ["vip", "beta"], "items": [{"sku": "a", "qty": 2}, {"sku": "b", "qty": 0}],
                      "address": {"city": "Paris", "geo": {"lat": 48.8}}, "nothing": null, "ok": true,
                      "big": 12345678901234567890},
             "user": {"id": 7}}
            """);

    static final JsonNode INCOMING = json("""
            {"name": "shop/payment.received", "data": {"user_id": "u_1", "amount": 150, "n": 1.0, "currency": "EUR"}}
            """);

    static boolean matches(String expression) {
        return CelCompiler.compile(expression).matches(TRIGGER, INCOMING);
    }

    @Test
    void matchesWaitForEventCorrelationOnUserId() {
        assertTrue(matches("event.data.user_id == async.data.user_id"));
        assertFalse(CelCompiler.compile("event.data.user_id == async.data.user_id")
                .matches(TRIGGER, json("{\"data\": {\"user_id\": \"u_2\"}}")));
    }

    @Test
    void comparesNumbersAcrossJsonIntAndDouble() {
        assertTrue(matches("async.data.amount > 100"));
        assertTrue(matches("async.data.amount > 100.5"));
        assertFalse(matches("async.data.amount > 150"));
        assertTrue(matches("event.data.n == 1"), "JSON 1 equals CEL int 1");
        assertTrue(matches("async.data.n == 1"), "JSON 1.0 equals CEL int 1");
        assertTrue(matches("event.data.n == 1.0"));
        assertTrue(matches("event.data.n == async.data.n"), "1 and 1.0 from two events are equal");
        assertTrue(matches("event.data.whole == 3"));
        assertTrue(matches("event.data.price < 20"));
        assertTrue(matches("event.data.price >= 19.5"));
        assertTrue(matches("event.data.big > 1"), "numbers beyond long range become doubles");
    }

    @Test
    void combinesConditionsWithLogicalOperators() {
        assertTrue(matches("event.data.plan == 'pro' && async.name == 'shop/payment.received'"));
        assertFalse(matches("event.data.plan == 'pro' && async.name == 'x'"));
        assertTrue(matches("event.data.plan == 'free' || async.data.currency == \"EUR\""));
        assertTrue(matches("!(event.data.plan == 'free')"));
        assertTrue(matches("event.data.plan in ['pro', 'team']"));
    }

    @Test
    void supportsStringFunctions() {
        assertTrue(matches("event.data.email.endsWith('@Example.com')"));
        assertTrue(matches("event.data.email.startsWith('Ada')"));
        assertTrue(matches("event.data.email.contains('@')"));
        assertTrue(matches("event.data.email.matches('^[A-Za-z]+@')"));
        assertTrue(matches("event.data.email.lowerAscii() == 'ada@example.com'"));
        assertTrue(matches("lowercase(event.data.email) == 'ada@example.com'"));
        assertTrue(matches("uppercase(event.data.plan) == 'PRO'"));
        assertTrue(matches("event.data.email.split('@')[1] == 'Example.com'"));
        assertTrue(matches("size(event.data.email) == 15"));
        assertTrue(matches("event.data.plan + '-' + event.data.user_id == 'pro-u_1'"));
    }

    @Test
    void testsPresenceWithHas() {
        assertTrue(matches("has(event.data.user_id)"));
        assertFalse(matches("has(event.data.missing)"));
        assertTrue(matches("!has(event.data.missing) || event.data.missing == 1"));
        assertTrue(matches("has(event.data.address.geo.lat)"));
        assertTrue(matches("has(event.data.nothing)"), "a null field is present");
    }

    @Test
    void treatsMissingFieldsAndTypeErrorsAsNoMatch() {
        assertFalse(matches("event.data.missing == 1"));
        assertFalse(matches("event.data.missing != 1"), "an error, not true, even for !=");
        assertFalse(matches("event.data.address.missing.deeper == 'x'"));
        assertFalse(matches("event.data.nothing.x == 1"), "selecting on null fails");
        assertFalse(matches("event.data.plan + 1 == 2"), "string + int has no overload at run time");
        assertFalse(matches("event.data.plan"), "a non-boolean result is no match");
        assertTrue(matches("event.data.missing == 1 || event.data.plan == 'pro'"), "CEL's || absorbs an error when the other side is true");
    }

    @Test
    void readsNestedDataAndNulls() {
        assertTrue(matches("event.data.address.city == 'Paris'"));
        assertTrue(matches("event.data.address.geo.lat > 48.0"));
        assertTrue(matches("event.data['address']['city'] == 'Paris'"));
        assertTrue(matches("event.data.nothing == null"));
        assertTrue(matches("event.data.ok"));
        assertTrue(matches("event.user.id == 7"));
        assertTrue(matches("event.ts > 0"));
    }

    @Test
    void readsListsWithIndexesAndMacros() {
        assertTrue(matches("'vip' in event.data.tags"));
        assertFalse(matches("'gold' in event.data.tags"));
        assertTrue(matches("event.data.tags[0] == 'vip'"));
        assertTrue(matches("size(event.data.tags) == 2"));
        assertTrue(matches("event.data.items.exists(i, i.sku == 'b')"));
        assertTrue(matches("event.data.items.all(i, i.qty >= 0)"));
        assertTrue(matches("event.data.items.filter(i, i.qty > 0).size() == 1"));
        assertTrue(matches("event.data.items.map(i, i.sku) == ['a', 'b']"));
        assertTrue(matches("event.data.items.exists_one(i, i.qty == 2)"));
        assertFalse(matches("event.data.tags[5] == 'x'"), "an index out of range is no match");
    }

    @Test
    void triggerExpressionsSeeOnlyEventAndAnEmptyAsync() {
        CompiledExpression expr = CelCompiler.compile("event.data.plan == 'pro'");
        assertTrue(expr.matches(TRIGGER));
        assertFalse(CelCompiler.compile("async.name == 'x'").matches(TRIGGER));
        assertTrue(CelCompiler.compile("size(async) == 0").matches(TRIGGER, null));
        assertFalse(expr.matches(null), "no event is an empty event");
    }

    @Test
    void evaluatesToPlainJavaValues() {
        CompiledExpression expr = CelCompiler.compile("event.data.n");
        assertEquals(1L, expr.evaluate(TRIGGER, null));
        assertEquals(19.5, CelCompiler.compile("event.data.price").evaluate(TRIGGER, null));
        assertEquals("pro", CelCompiler.compile("event.data.plan").evaluate(TRIGGER, null));
        assertNull(CelCompiler.compile("event.data.nothing").evaluate(TRIGGER, null));
        assertEquals(List.of("vip", "beta"), CelCompiler.compile("event.data.tags").evaluate(TRIGGER, null));
        assertEquals(Map.of("city", "Paris", "geo", Map.of("lat", 48.8)),
                CelCompiler.compile("event.data.address").evaluate(TRIGGER, null));
        assertEquals(3L, CelCompiler.compile("1u + 2u").evaluate(null, null), "CEL uints come back as longs");
    }

    @Test
    void evaluateReportsRuntimeErrorsNamingTheExpression() {
        ExpressionEvaluationException e = assertThrows(ExpressionEvaluationException.class,
                () -> CelCompiler.compile("event.data.missing").evaluate(TRIGGER, null));
        assertEquals("event.data.missing", e.expression());
        assertTrue(e.getMessage().startsWith("expression \"event.data.missing\" failed: "), e.getMessage());
        assertTrue(e.getMessage().contains("missing"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line");
    }

    @Test
    void givesKeysAsStableStrings() {
        assertEquals("u_1", CelCompiler.compile("event.data.user_id").evaluateKey(TRIGGER));
        assertEquals("1", CelCompiler.compile("event.data.n").evaluateKey(TRIGGER));
        assertEquals(1.0, CelCompiler.compile("event.data.n").evaluate(INCOMING, null));
        assertEquals("1", CelCompiler.compile("event.data.n").evaluateKey(INCOMING), "JSON 1.0 keys like 1");
        assertEquals("19.5", CelCompiler.compile("event.data.price").evaluateKey(TRIGGER));
        assertEquals("true", CelCompiler.compile("event.data.ok").evaluateKey(TRIGGER));
        assertEquals("null", CelCompiler.compile("event.data.nothing").evaluateKey(TRIGGER));
        assertEquals("pro-u_1", CelCompiler.compile("event.data.plan + '-' + event.data.user_id").evaluateKey(TRIGGER));
        assertEquals("{\"city\":\"Paris\",\"geo\":{\"lat\":48.8}}", CelCompiler.compile("event.data.address").evaluateKey(TRIGGER));
        assertEquals("{\"a\":1,\"b\":2}", CelCompiler.compile("{'b': 2, 'a': 1}").evaluateKey(TRIGGER), "map keys are sorted");
    }

    @Test
    void givesPriorityAsWholeNumbers() {
        assertEquals(Optional.of(120L), CelCompiler.compile("event.data.plan == 'pro' ? 120 : 0").evaluateLong(TRIGGER));
        assertEquals(Optional.of(19L), CelCompiler.compile("event.data.price").evaluateLong(TRIGGER));
        assertEquals(Optional.of(-5L), CelCompiler.compile("-5").evaluateLong(TRIGGER));
        assertEquals(Optional.empty(), CelCompiler.compile("event.data.plan").evaluateLong(TRIGGER));
    }

    @ParameterizedTest
    @ValueSource(strings = {"event.data.user_id ==", "event.data.x === 1", "foo.bar == 1", "event.data.x.nosuchfn()", "'unterminated", "1 +"})
    void rejectsBadExpressionsWithAOneLineMessageNamingThem(String bad) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CelCompiler.compile(bad));
        assertTrue(e.getMessage().startsWith("invalid expression \"" + bad + "\": "), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }

    @Test
    void namesTheProblemAndWhereItIs() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CelCompiler.compile("user.id == 1"));
        assertEquals("invalid expression \"user.id == 1\": undeclared reference to 'user' (in container '') (line 1, column 1)", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> CelCompiler.compile("  "));
        assertThrows(IllegalArgumentException.class, () -> CelCompiler.compile(null));
    }

    @Test
    void cachesCompiledExpressionsByText() {
        CompiledExpression first = CelCompiler.compile("event.data.cache_probe == 1");
        assertSame(first, CelCompiler.compile("event.data.cache_probe == 1"));
        assertTrue(CelCompiler.cacheSize() <= CelCompiler.CACHE_SIZE);
    }

    @Test
    void boundsTheCache() {
        for (int i = 0; i < CelCompiler.CACHE_SIZE + 50; i++) {
            CelCompiler.compile("event.data.n == " + i);
        }
        assertEquals(CelCompiler.CACHE_SIZE, CelCompiler.cacheSize());
    }

    @Test
    void convertsTheLegacyMatchField() {
        assertEquals("event.data.user_id == async.data.user_id", CelCompiler.fromMatchField("data.user_id"));
        assertEquals("event.data.user_id == async.data.user_id", CelCompiler.fromMatchField("event.data.user_id"));
        assertEquals("event.user.email == async.user.email", CelCompiler.fromMatchField(" async.user.email "));
        assertTrue(CelCompiler.compile(CelCompiler.fromMatchField("data.user_id")).matches(TRIGGER, INCOMING));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CelCompiler.fromMatchField("data.user_id == 1"));
        assertEquals("invalid waitForEvent match \"data.user_id == 1\": expected a dotted field path such as data.user_id", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> CelCompiler.fromMatchField(""));
    }

    @Test
    void prefersIfOverMatchForWaitForEvent() {
        assertEquals("async.data.amount > 1", CelCompiler.waitForEventCondition("async.data.amount > 1", "data.user_id"));
        assertEquals("event.data.user_id == async.data.user_id", CelCompiler.waitForEventCondition(null, "data.user_id"));
        assertNull(CelCompiler.waitForEventCondition(" ", null));
    }

    @Test
    void evaluatesTheSameProgramFromManyThreads() throws Exception {
        CompiledExpression expr = CelCompiler.compile("event.data.i % 2 == 0 && async.data.user_id == 'u_1'");
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Callable<Boolean>> tasks = new java.util.ArrayList<>();
            for (int i = 0; i < 2_000; i++) {
                JsonNode event = json("{\"data\": {\"i\": " + i + "}}");
                boolean expected = i % 2 == 0;
                tasks.add(() -> expr.matches(event, INCOMING) == expected);
            }
            for (Future<Boolean> f : pool.invokeAll(tasks)) {
                assertTrue(f.get());
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
