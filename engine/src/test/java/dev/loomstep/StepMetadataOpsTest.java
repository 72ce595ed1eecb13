package dev.loomstep;

import static dev.loomstep.Calls.body;
import static dev.loomstep.Calls.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.protocol.CallResult;
import dev.loomstep.protocol.StepIds;
import dev.loomstep.protocol.WireOp;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Metadata on Loomstep's own ops, as the JS SDK 4.24 batches it: {@code step.metadata(id)} is a step whose op
 * carries the run's metadata, and {@code app.metadata(runId)} inside a {@code step.run} body (for this run, or
 * that step) rides on the step's op instead of a request of its own.
 */
class StepMetadataOpsTest {
    final List<String> posted = new CopyOnWriteArrayList<>();
    final AtomicReference<Loomstep> app = new AtomicReference<>();

    Loomstep app(Function<?, ?>... fns) {
        Loomstep built = Loomstep.builder("app").config(Config.from(Map.of("INNGEST_DEV", "1"))).functions(fns)
                .eventSender(new EventSender() {
                    @Override
                    public List<String> send(List<Event> events) {
                        return List.of();
                    }

                    @Override
                    public void sendMetadata(String runId, JsonNode body) {
                        posted.add(body.toString());
                    }
                }).build();
        app.set(built);
        return built;
    }

    final Function<?, ?> tagged = Function.builder("tagged").trigger(Trigger.event("x")).handler((in, step) -> {
        step.metadata("tag").set(Map.of("customer", "ada"));
        int cents = step.run("charge", Integer.class, () -> {
            app.get().metadata(in.runId()).step("charge").set(Map.of("gateway", "stripe"), "payments");
            app.get().metadata(in.runId()).set(Map.of("status", "charging"), "progress");
            app.get().metadata(in.runId()).set(Map.of("status", "charged"), "progress"); // replaces the first
            app.get().metadata(in.runId()).step("other").set(Map.of("not", "this step")); // another step: the API
            return 1250;
        });
        return cents;
    });

    @Test
    void stepMetadataIsAStepWhoseOpCarriesTheRunsMetadata() {
        CallResult r = app(tagged).call("app-tagged", "step", request().build(), null);
        JsonNode op = body(r).get(0);
        assertEquals("StepRun", op.path("op").asText());
        assertEquals(StepIds.sha1Hex("tag"), op.path("id").asText());
        assertEquals("tag", op.path("displayName").asText());
        assertTrue(op.path("data").isNull(), op::toString);
        assertEquals("[{\"kind\":\"userland.default\",\"scope\":\"run\",\"op\":\"set\",\"values\":{\"customer\":\"ada\"}}]",
                op.path("metadata").toString());
        assertTrue(posted.isEmpty(), posted::toString);
    }

    @Test
    void metadataSetInsideAStepRidesOnItsOpAndOnlyAnotherTargetIsPosted() {
        CallResult r = app(tagged).call("app-tagged", "step", request().memo("tag", null).build(), null);
        JsonNode op = body(r).get(0);
        assertEquals(StepIds.sha1Hex("charge"), op.path("id").asText());
        assertEquals("[{\"kind\":\"userland.payments\",\"scope\":\"step\",\"op\":\"set\",\"values\":{\"gateway\":\"stripe\"}},"
                + "{\"kind\":\"userland.progress\",\"scope\":\"run\",\"op\":\"set\",\"values\":{\"status\":\"charged\"}}]",
                op.path("metadata").toString());
        assertEquals(1, posted.size(), posted::toString);
        assertTrue(posted.get(0).contains("\"step_id\":\"other\""), posted::toString);
    }

    @Test
    void aCheckpointedStepCarriesItsMetadataToo() {
        var api = new Drive.Recorder();
        app(tagged).call("app-tagged", "step", request().queueItem("qi-1").build(), null, api);
        var withMetadata = new ArrayList<String>();
        for (var c : api.received) {
            for (WireOp w : c.steps()) {
                if (w.metadata() != null) {
                    withMetadata.add(w.name() + " " + w.metadata().size());
                }
            }
        }
        assertEquals(List.of("tag 1", "charge 2"), withMetadata);
    }

    @Test
    void aMemoizedStepSetsNothingAgain() {
        CallResult r = app(tagged).call("app-tagged", "step", request().memo("tag", null).memo("charge", 1250).build(), null);
        assertEquals(200, r.status());
        assertTrue(posted.isEmpty(), posted::toString);
    }

    @Test
    void badStepMetadataIsRefusedWithOneLine() {
        var fn = Function.builder("bad").trigger(Trigger.event("x")).handler((in, step) -> {
            step.metadata("tag").set(List.of(1));
            return null;
        });
        CallResult r = app(fn).call("app-bad", "step", request().build(), null);
        assertEquals(500, r.status());
        assertEquals("metadata values are a JSON object (a map or a record); got array", body(r).path("message").asText());
        assertFalse(body(r).path("message").asText().isEmpty());
    }
}
