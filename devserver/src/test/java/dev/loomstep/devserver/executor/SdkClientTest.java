package dev.loomstep.devserver.executor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loomstep.protocol.Op;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** How every shape of SDK answer is classified. */
class SdkClientTest {

    private static SdkAnswer classify(int status, String body, String noRetry, String retryAfter) {
        return SdkClient.classify(status, body.getBytes(StandardCharsets.UTF_8), noRetry, retryAfter);
    }

    @Test
    void readsEveryOpShapeTheSdksSend() {
        var answer = (SdkAnswer.Ops) classify(206, """
                [{"id":"a","op":"Step","data":1},
                 {"id":"b","op":"StepRun","name":"b","displayName":"B","data":{"x":2}},
                 {"id":"c","op":"Sleep","name":"1s","displayName":"nap","opts":{}},
                 {"id":"d","op":"WaitForEvent","name":"peer/approve","opts":{"timeout":"1h","if":"event.data.id == async.data.id"}},
                 {"id":"e","op":"StepFailed","name":"boom","error":{"name":"NonRetriableError","message":"no way"}},
                 {"id":"f","op":"RunComplete","data":7},
                 {"id":"g","op":"SomethingNew"}]""", null, null);

        assertEquals(7, answer.ops().size());
        assertInstanceOf(Op.StepRun.class, answer.ops().get(0));
        assertEquals("1s", ((Op.Sleep) answer.ops().get(2)).until());
        assertEquals("peer/approve", ((Op.WaitForEvent) answer.ops().get(3)).event());
        assertEquals("no way", ((Op.StepFailed) answer.ops().get(4)).error().message());
        assertInstanceOf(Op.RunComplete.class, answer.ops().get(5));
        assertInstanceOf(Op.Other.class, answer.ops().get(6));
    }

    @Test
    void readsInngestgoOpsNamedOnlyByNameAndKeepsAStepErrorsData() {
        // inngestgo 0.16 sends no displayName: the name is the step's id; a step error carries the step's
        // other return value in error.data, which it reads back when the error is memoized.
        var answer = (SdkAnswer.Ops) classify(206, """
                [{"id":"c","op":"Sleep","name":"nap","opts":{"duration":"1s"}},
                 {"id":"i","op":"InvokeFunction","name":"call-child","opts":{"function_id":"go-child","payload":{"data":{}}}},
                 {"id":"e","op":"StepFailed","name":"boom","error":{"name":"Step failed","message":"kaput","data":0}}]""", null, null);

        var sleep = (Op.Sleep) answer.ops().get(0);
        assertEquals("nap", sleep.displayName());
        assertEquals("1s", sleep.until());
        assertEquals("call-child", ((Op.InvokeFunction) answer.ops().get(1)).displayName());
        var failed = (Op.StepFailed) answer.ops().get(2);
        assertEquals("boom", failed.displayName());
        assertEquals(0, failed.error().data().asInt(), "error.data kept as sent");
        assertEquals("{\"name\":\"Step failed\",\"message\":\"kaput\",\"data\":0}",
                dev.loomstep.protocol.Json.toString(failed.error()));
    }

    @Test
    void acceptsALoneOpObject() {
        var answer = (SdkAnswer.Ops) classify(206, "{\"id\":\"a\",\"op\":\"StepPlanned\"}", null, null);
        assertInstanceOf(Op.StepPlanned.class, answer.ops().get(0));
    }

    @Test
    void treatsBodiesThatAreNotTheProtocolAsRetriable() {
        assertInstanceOf(SdkAnswer.Retry.class, classify(206, "not json", null, null));
        assertInstanceOf(SdkAnswer.Retry.class, classify(206, "[]", null, null));
        assertInstanceOf(SdkAnswer.Retry.class, classify(206, "[1,2]", null, null));
        assertInstanceOf(SdkAnswer.Retry.class, classify(200, "<html></html>", null, null));
    }

    @Test
    void completesOn200WithTheJsonBodyOrNull() {
        assertEquals(5, ((SdkAnswer.Done) classify(200, "5", null, null)).output().asInt());
        assertTrue(((SdkAnswer.Done) classify(200, "", null, null)).output().isNull());
    }

    @Test
    void failsOnlyWhenNoRetryIsTrueAndNoRetryAfterIsGiven() {
        var failed = (SdkAnswer.Failed) classify(400, "{\"name\":\"NonRetriableError\",\"message\":\"bad\"}", "true", null);
        assertEquals("bad", failed.error().message());
        assertInstanceOf(SdkAnswer.Retry.class, classify(400, "{}", null, null));
        assertInstanceOf(SdkAnswer.Retry.class, classify(500, "{}", "false", null));
        var retry = (SdkAnswer.Retry) classify(500, "{\"message\":\"later\"}", "true", "3");
        assertEquals(Duration.ofSeconds(3), retry.retryAfter());
    }

    @Test
    void describesErrorsThatAreNotJson() {
        var retry = (SdkAnswer.Retry) classify(502, "Bad Gateway", null, null);
        assertEquals("the SDK answered HTTP 502: Bad Gateway", retry.error().message());
    }

    @Test
    void readsRetryAfterAsSecondsOrDates() {
        Instant now = Instant.parse("2026-01-01T00:00:00Z");
        assertEquals(Duration.ofSeconds(30), SdkClient.parseRetryAfter("30", now));
        assertEquals(Duration.ofMinutes(1), SdkClient.parseRetryAfter("2026-01-01T00:01:00Z", now));
        assertEquals(Duration.ofSeconds(10), SdkClient.parseRetryAfter("Thu, 01 Jan 2026 00:00:10 GMT", now));
        assertNull(SdkClient.parseRetryAfter("soon", now));
    }

    @Test
    void replacesTheStepIdOfTheRegisteredUrl() {
        assertEquals("http://h/api?fnId=app-f&stepId=abc", SdkClient.withStepId("http://h/api?fnId=app-f&stepId=step", "abc"));
        assertEquals("http://h/api?stepId=step", SdkClient.withStepId("http://h/api", "step"));
    }

    @Test
    void readsSleepDurationsAndDates() {
        assertEquals(1_500, Executor.wakeTime("1.5s", 0));
        assertEquals(3_600_000 + 60_000, Executor.wakeTime("1h1m", 0));
        assertEquals(Instant.parse("2030-01-01T00:00:00Z").toEpochMilli(), Executor.wakeTime("2030-01-01T01:00:00+01:00", 0));
        assertThrows(IllegalArgumentException.class, () -> Executor.wakeTime("tomorrow", 0));
    }

    @Test
    void backsOffAlongInngestsScheduleScaled() {
        var full = new Backoff(1.0);
        long first = full.after(0).toMillis();
        assertTrue(first >= 15_000 && first <= 45_000, "15 s plus up to 30 s jitter: " + first);
        long capped = full.after(50).toMillis();
        assertTrue(capped >= 7_200_000 && capped <= 7_230_000, "capped at 2 h: " + capped);
        assertTrue(new Backoff(0.001).after(0).toMillis() <= 45);
        assertThrows(IllegalArgumentException.class, () -> new Backoff(-1));
    }
}
