package dev.loomstep.devserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Defer;
import dev.loomstep.Deferred;
import dev.loomstep.Function;
import dev.loomstep.NonRetriableException;
import dev.loomstep.Trigger;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code step.defer} from a real Loomstep app over loopback HTTP, in both checkpointing modes: the devserver
 * keeps each run's defers, starts the deferred runs with an {@code inngest/deferred.schedule} event once the
 * run has ended (completed or failed), drops aborted ones, rejects those over Inngest's limits with one reason
 * while the run goes on, and filters deferred runs out of the runs list on request.
 */
@Timeout(120)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DeferEndToEndTest {
    record Receipt(String order) {}

    final Map<CheckpointMode, LoomstepDevServer> fixtures = new EnumMap<>(CheckpointMode.class);

    final Function<Receipt, String> receipt = Function.builder("receipt").trigger(Trigger.deferred())
            .handler(Receipt.class, (in, step) -> step.run("send", String.class, () -> "receipt for " + in.data().order()));

    final Function<Receipt, String> order = Function.builder("order").trigger(Trigger.event("ls/order"))
            .handler(Receipt.class, (in, step) -> {
                step.defer("receipt", Defer.function(receipt).data(new Receipt(in.data().order())));
                step.run("charge", String.class, () -> "charged");
                return step.run("ship", String.class, () -> "shipped " + in.data().order());
            });

    final Function<Receipt, String> aborted = Function.builder("aborted").trigger(Trigger.event("ls/aborted"))
            .handler(Receipt.class, (in, step) -> {
                Deferred d = step.defer("receipt", Defer.function(receipt).data(new Receipt(in.data().order())));
                if (step.run("refunded", Boolean.class, () -> true)) {
                    d.abort();
                }
                return step.run("after", String.class, () -> "no receipt");
            });

    final Function<Object, String> many = Function.builder("many").trigger(Trigger.event("ls/many"))
            .handler(Object.class, (in, step) -> {
                for (int i = 0; i <= 20; i++) {
                    step.defer("receipt-" + i, Defer.function(receipt).data(new Receipt("o" + i)));
                }
                return step.run("done", String.class, () -> "deferred 21");
            });

    final Function<Receipt, String> fails = Function.builder("fails").trigger(Trigger.event("ls/fails")).retries(0)
            .handler(Receipt.class, (in, step) -> {
                step.defer("receipt", Defer.function(receipt).data(new Receipt(in.data().order())));
                step.run("try", String.class, () -> "tried");
                throw new NonRetriableException("payment declined");
            });

    @BeforeAll
    void start() {
        for (CheckpointMode mode : CheckpointMode.values()) {
            fixtures.put(mode, LoomstepDevServer.builder("defer-" + mode.name().toLowerCase())
                    .app(b -> b.checkpointing(mode.checkpointing())).start(receipt, order, aborted, many, fails));
        }
    }

    @AfterAll
    void stop() {
        fixtures.values().forEach(LoomstepDevServer::close);
    }

    /** The run's defers once none waits any more (each scheduled, aborted or rejected). */
    static JsonNode settledDefers(Api api, String runId, int expected) {
        return Api.await(() -> api.run(runId).path("defers"), d -> {
            if (d.size() != expected) {
                return false;
            }
            for (JsonNode x : d) {
                if (x.path("status").asText().equals("after_run") || (x.path("status").asText().equals("scheduled") && x.path("run_id").isNull())) {
                    return false;
                }
            }
            return true;
        }, expected + " settled defers of run " + runId);
    }

    @ParameterizedTest
    @EnumSource(CheckpointMode.class)
    void aDeferredRunStartsWhenItsRunHasCompletedAndNamesItsParent(CheckpointMode mode) {
        Api api = fixtures.get(mode).api;
        String runId = api.runOf(api.send("ls/order", Map.of("order", "o-" + mode)));
        api.awaitStatus(runId, "Completed");
        JsonNode defers = settledDefers(api, runId, 1);
        JsonNode d = defers.get(0);
        assertEquals("receipt", d.path("id").asText(), defers::toString);
        assertEquals("defer-" + mode.name().toLowerCase() + "-receipt", d.path("function").asText());
        assertEquals("scheduled", d.path("status").asText());
        assertEquals("{\"order\":\"o-" + mode + "\"}", d.path("data").toString());
        String child = d.path("run_id").asText();
        JsonNode childRun = api.awaitStatus(child, "Completed");
        assertEquals("receipt for o-" + mode, childRun.path("output").asText(), childRun::toString);
        assertTrue(childRun.path("is_deferred").asBoolean(), childRun::toString);
        assertEquals(runId, childRun.path("deferred_by").path("run_id").asText(), childRun::toString);

        JsonNode event = api.get("/v1/events/" + d.path("event_id").asText()).get("data");
        assertEquals("inngest/deferred.schedule", event.path("name").asText(), event::toString);
        JsonNode meta = event.path("data").path("_inngest");
        assertEquals(runId, meta.path("parent_run_id").asText(), event::toString);
        assertEquals("defer-" + mode.name().toLowerCase() + "-order", meta.path("parent_fn_slug").asText());
        assertEquals(d.path("function").asText(), meta.path("fn_slug").asText());
        assertTrue(meta.path("parent_fn_id").isTextual() && meta.path("parent_app_id").isTextual(), meta::toString);

        List<String> withoutDeferred = ids(api.get("/v1/runs?isDeferred=false&limit=100").get("data"));
        List<String> onlyDeferred = ids(api.get("/v1/runs?isDeferred=true&limit=100").get("data"));
        assertTrue(withoutDeferred.contains(runId) && !withoutDeferred.contains(child), withoutDeferred::toString);
        assertTrue(onlyDeferred.contains(child) && !onlyDeferred.contains(runId), onlyDeferred::toString);
        Api.Response bad = api.request("GET", "/v1/runs?isDeferred=maybe", null);
        assertEquals(400, bad.status());
        assertTrue(bad.text().contains("isDeferred must be true or false"), bad.text());
    }

    @ParameterizedTest
    @EnumSource(CheckpointMode.class)
    void anAbortedDeferStartsNoRun(CheckpointMode mode) {
        Api api = fixtures.get(mode).api;
        String runId = api.runOf(api.send("ls/aborted", Map.of("order", "a-" + mode)));
        api.awaitStatus(runId, "Completed");
        // The add and the abort may leave in one message (the default's linger batches quick steps): then the SDK
        // takes the add back and only the abort goes out, as JS's lazy ops do, and the devserver, as Inngest's,
        // has no defer to mark. Sent apart, the defer is recorded and then aborted. Either way no run starts.
        JsonNode defers = api.run(runId).path("defers");
        assertTrue(defers.size() <= 1, defers::toString);
        if (defers.size() == 1) {
            JsonNode d = settledDefers(api, runId, 1).get(0);
            assertEquals("aborted", d.path("status").asText(), d::toString);
            assertTrue(d.path("event_id").isNull(), d::toString);
        }
        JsonNode events = api.get("/v1/events?name=inngest/deferred.schedule&limit=100").get("data");
        for (JsonNode e : events) {
            assertTrue(!runId.equals(e.path("data").path("_inngest").path("parent_run_id").asText()), events::toString);
        }
    }

    @ParameterizedTest
    @EnumSource(CheckpointMode.class)
    void aDeferPastTwentyIsRejectedWithItsReasonAndTheRunGoesOn(CheckpointMode mode) {
        Api api = fixtures.get(mode).api;
        String runId = api.runOf(api.send("ls/many", Map.of()));
        JsonNode run = api.awaitStatus(runId, "Completed");
        assertEquals("deferred 21", run.path("output").asText());
        JsonNode defers = settledDefers(api, runId, 21);
        int scheduled = 0;
        JsonNode rejected = null;
        for (JsonNode d : defers) {
            if (d.path("status").asText().equals("scheduled")) {
                scheduled++;
            } else {
                rejected = d;
            }
        }
        assertEquals(20, scheduled, defers::toString);
        assertEquals("receipt-20", rejected.path("id").asText());
        assertEquals("rejected", rejected.path("status").asText());
        assertEquals("the run already has 20 defers, the most a run may have", rejected.path("reason").asText());
    }

    @ParameterizedTest
    @EnumSource(CheckpointMode.class)
    void aFailedRunStillStartsItsDeferredRun(CheckpointMode mode) {
        Api api = fixtures.get(mode).api;
        String runId = api.runOf(api.send("ls/fails", Map.of("order", "f-" + mode)));
        api.awaitStatus(runId, "Failed");
        JsonNode d = settledDefers(api, runId, 1).get(0);
        assertEquals("scheduled", d.path("status").asText(), d::toString);
        JsonNode child = api.awaitStatus(d.path("run_id").asText(), "Completed");
        assertEquals("receipt for f-" + mode, child.path("output").asText());
    }

    static List<String> ids(JsonNode runs) {
        var out = new ArrayList<String>();
        runs.forEach(r -> out.add(r.path("run_id").asText(r.path("id").asText())));
        return out;
    }
}
