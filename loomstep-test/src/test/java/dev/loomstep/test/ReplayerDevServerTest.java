package dev.loomstep.test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Event;
import dev.loomstep.Function;
import dev.loomstep.FunctionHandler;
import dev.loomstep.Loomstep;
import dev.loomstep.Trigger;
import dev.loomstep.WaitForEvent;
import dev.loomstep.protocol.Json;
import dev.loomstep.protocol.RunHistory;
import dev.loomstep.protocol.StepIds;
import dev.loomstep.test.ReplayMismatchError.Kind;
import dev.loomstep.test.ReplayerTest.Receipt;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The replay check on histories exported over HTTP from real runs on the embedded devserver
 * ({@code GET /v1/runs/{runId}/history}): the code that ran fits them, compatible changes fit them, and
 * each kind of incompatible change fails with its message.
 */
@Timeout(60)
class ReplayerDevServerTest {
    static final Function<JsonNode, Object> AWAIT_PAYMENT = Function.builder("await-payment").trigger(Trigger.event("shop/order.reserved"))
            .handler((FunctionHandler<JsonNode, Object>) (in, step) -> awaitPayment(step, "paid"));

    @RegisterExtension
    static LoomstepExtension loomstep = LoomstepExtension.app(() -> Loomstep.builder("shop")
            .functions(ReplayerTest.fn((in, step) -> ReplayerTest.v1(step)), AWAIT_PAYMENT));

    static Object awaitPayment(dev.loomstep.Step step, String waitId) {
        step.run("reserve", String.class, () -> "held");
        return step.waitForEvent(waitId, WaitForEvent.of("shop/order.paid").timeout(Duration.ofDays(1))).isPresent();
    }

    final HttpClient http = HttpClient.newHttpClient();

    HttpResponse<byte[]> get(DevHandle dev, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(dev.devServer().url() + path)).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    RunHistory export(DevHandle dev, String runId) throws Exception {
        HttpResponse<byte[]> r = get(dev, "/v1/runs/" + runId + "/history");
        assertEquals(200, r.statusCode(), new String(r.body()));
        assertEquals("attachment; filename=\"run-" + runId + "-history.json\"", r.headers().firstValue("Content-Disposition").orElse(null));
        Path out = Path.of("target", "exported-histories", runId + ".json");
        Files.createDirectories(out.getParent());
        Files.write(out, r.body()); // kept for a look; src/test/resources/histories holds one such file
        return RunHistory.read(r.body(), "the devserver's history of run " + runId);
    }

    static ReplayMismatchError mismatch(FunctionHandler<JsonNode, Object> changed, RunHistory h) {
        return assertThrows(ReplayMismatchError.class, () -> Replayer.of(ReplayerTest.fn(changed)).replay(h));
    }

    @Test
    void aCompletedRunsHistoryFitsItsCodeAndCompatibleChangesButNotIncompatibleOnes(DevHandle dev) throws Exception {
        String eventId = dev.send(ReplayerTest.PLACED);
        DevRun run = dev.awaitRun(eventId);
        assertEquals("Completed", run.status(), run.toString());
        RunHistory h = export(dev, run.runId());

        assertEquals(RunHistory.FORMAT, h.format());
        assertEquals(1, h.version());
        assertEquals("shop-process-order", h.functionId());
        assertEquals("Completed", h.status());
        assertEquals("shop/order.placed", h.events().get(0).name());
        assertEquals(List.of("reserve", "charge", "pack-1", "pack-2", "ship"),
                h.memoizedSteps().stream().map(RunHistory.Step::name).sorted((a, b) -> order(a) - order(b)).toList());
        assertEquals(StepIds.hash("charge", 0), h.memoizedSteps().get(1).id());
        assertEquals(Json.toTree(new Receipt("r_1", 1200)), h.memoizedSteps().get(1).memo().get("data"));

        Replayer.of(ReplayerTest.fn((in, step) -> ReplayerTest.v1(step))).replay(h);
        Replayer.of(ReplayerTest.fn((in, step) -> {
            Object out = ReplayerTest.v1(step);
            step.run("send-confirmation", String.class, () -> "sent"); // added after the recorded steps
            return out;
        })).replay(h);

        var renamed = mismatch((in, step) -> {
            step.run("reserve", String.class, () -> "held");
            step.run("charge-card", Receipt.class, () -> new Receipt("r_1", 1200));
            return "r_1";
        }, h);
        assertEquals(Kind.STEP_NOT_REACHED, renamed.kind(), renamed.getMessage());
        assertTrue(renamed.getMessage().contains("waits at new step \"charge-card\""), renamed.getMessage());

        var swapped = mismatch((in, step) -> {
            step.run("charge", Receipt.class, () -> new Receipt("r_1", 1200));
            step.run("reserve", String.class, () -> "held");
            step.parallel(List.<Callable<Boolean>>of(() -> step.run("pack-1", Boolean.class, () -> true),
                    () -> step.run("pack-2", Boolean.class, () -> true)));
            return step.run("ship", String.class, () -> "shipped");
        }, h);
        assertEquals(Kind.ORDER_CHANGED, swapped.kind(), swapped.getMessage());

        var retyped = mismatch((in, step) -> {
            step.run("reserve", String.class, () -> "held");
            return step.run("charge", Long.class, () -> 1200L);
        }, h);
        assertEquals(Kind.OUTPUT_TYPE_CHANGED, retyped.kind(), retyped.getMessage());
        assertTrue(retyped.getMessage().contains("no longer reads as java.lang.Long"), retyped.getMessage());

        var widened = mismatch((in, step) -> {
            step.run("reserve", String.class, () -> "held");
            step.run("charge", Receipt.class, () -> new Receipt("r_1", 1200));
            step.parallel(List.<Callable<Boolean>>of(() -> step.run("pack-1", Boolean.class, () -> true),
                    () -> step.run("pack-2", Boolean.class, () -> true), () -> step.run("gift-wrap", Boolean.class, () -> true)));
            return step.run("ship", String.class, () -> "shipped");
        }, h);
        assertEquals(Kind.FAN_OUT_CHANGED, widened.kind(), widened.getMessage());
        assertEquals(List.of("gift-wrap"), widened.steps());
    }

    private static int order(String name) {
        return List.of("reserve", "charge", "pack-1", "pack-2", "ship").indexOf(name);
    }

    @Test
    void aRunWaitingForAnEventExportsItsWaitAsReachedButNotDone(DevHandle dev) throws Exception {
        String eventId = dev.send(Event.of("shop/order.reserved", Map.of("order", "o_9")));
        DevRun waiting = dev.awaitStep(eventId, "paid");
        RunHistory h = export(dev, waiting.runId());
        assertEquals("Running", h.status(), waiting.toString());
        RunHistory.Step wait = h.steps().get(h.steps().size() - 1);
        assertEquals("paid", wait.name());
        assertNull(wait.seq(), "a wait still waiting has no result");

        Replayer.of(AWAIT_PAYMENT).replay(h);
        var renamed = assertThrows(ReplayMismatchError.class, () -> Replayer.of(Function.builder("await-payment")
                .trigger(Trigger.event("shop/order.reserved"))
                .handler((FunctionHandler<JsonNode, Object>) (in, step) -> awaitPayment(step, "payment"))).replay(h));
        assertEquals(Kind.STEP_NOT_REACHED, renamed.kind(), renamed.getMessage());
        assertTrue(renamed.getMessage().contains("recorded step \"paid\" (id " + StepIds.hash("paid", 0) + ") is not reached; the code"
                + " now waits at new step \"payment\" (id "), renamed.getMessage());
    }

    @Test
    void anUnknownRunHasNoHistory(DevHandle dev) throws Exception {
        HttpResponse<byte[]> r = get(dev, "/v1/runs/01NOPE/history");
        assertEquals(404, r.statusCode());
        assertTrue(new String(r.body()).contains("no run with id \\\"01NOPE\\\"") || new String(r.body()).contains("no run with id \"01NOPE\""),
                new String(r.body()));
    }
}
