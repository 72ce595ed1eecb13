package dev.loomstep;

import static dev.loomstep.Calls.body;
import static dev.loomstep.Calls.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.protocol.AsyncCheckpoint;
import dev.loomstep.protocol.CallRequest;
import dev.loomstep.protocol.CallResult;
import dev.loomstep.protocol.Json;
import dev.loomstep.protocol.StepIds;
import dev.loomstep.protocol.WireOp;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code step.defer}: the {@code DeferAdd} and {@code DeferAbort} ops and how they ride along with whatever the
 * request sends next, in the shapes the JS SDK 4.24 sends.
 */
class DeferOpsTest {
    record Receipt(String order) {}

    static final String ADD_ID = StepIds.sha1Hex("receipt");
    static final String ABORT_ID = StepIds.sha1Hex(ADD_ID + ":abort");
    static final String COMPLETE_ID = StepIds.sha1Hex("complete");

    final Function<Receipt, String> receipt = Function.builder("receipt").trigger(Trigger.deferred())
            .handler(Receipt.class, (input, step) -> "sent " + input.data().order());

    Loomstep app(Function<?, ?>... fns) {
        var all = new ArrayList<Function<?, ?>>(List.of(fns));
        all.add(receipt);
        return Loomstep.builder("app").config(Config.from(Map.of("INNGEST_DEV", "1")))
                .functions(all.toArray(Function<?, ?>[]::new)).build();
    }

    static Function<Object, Object> fn(String id, FunctionHandler<Object, Object> handler) {
        return Function.builder(id).trigger(Trigger.event("shop/order")).handler(Object.class, handler);
    }

    static CallRequest withDefers(CallRequest r, Map<String, CallRequest.DeferEntry> defers) {
        return new CallRequest(r.event(), r.events(), r.steps(), r.ctx(), r.version(), r.useApi(), defers);
    }

    static List<String> ops(CallResult r) {
        var out = new ArrayList<String>();
        body(r).forEach(op -> out.add(op.get("op").asText()));
        return out;
    }

    final Function<Object, Object> deferThenStep = fn("defer-then-step", (input, step) -> {
        step.defer("receipt", Defer.function(receipt).data(new Receipt("o1")));
        return step.run("charge", String.class, () -> "charged");
    });

    @Test
    void aDeferRidesAlongAfterTheStepItsRequestRanInTheJsShape() {
        CallResult r = app(deferThenStep).call("app-defer-then-step", "step", request().build(), null);
        assertEquals(206, r.status());
        assertEquals(List.of("StepRun", "DeferAdd"), ops(r));
        JsonNode add = body(r).get(1);
        assertEquals(ADD_ID, add.get("id").asText());
        assertEquals("receipt", add.get("name").asText());
        assertEquals("receipt", add.get("displayName").asText());
        assertEquals("{\"fn_slug\":\"app-receipt\",\"input\":{\"order\":\"o1\"}}", add.get("opts").toString());
        assertTrue(add.get("data").isNull());
        assertEquals("{\"id\":\"receipt\"}", add.get("userland").toString());
        assertFalse(r.failure());
    }

    @Test
    void aDeferBeforeTheFunctionReturnsComesBeforeRunCompleteOnTheCompleteId() {
        var fn = fn("defer-and-return", (input, step) -> {
            step.defer("receipt", Defer.function("receipt").data(Map.of("order", "o2")));
            return "done";
        });
        CallResult r = app(fn).call("app-defer-and-return", "step", request().build(), null);
        assertEquals(206, r.status());
        assertEquals(List.of("DeferAdd", "RunComplete"), ops(r));
        assertEquals(COMPLETE_ID, body(r).get(1).get("id").asText());
        assertEquals("done", body(r).get(1).get("data").asText());
    }

    @Test
    void aDeferTheExecutorAlreadyHoldsIsNotSentAgain() {
        CallRequest replay = withDefers(request().memo("charge", "charged").build(), Map.of(ADD_ID, new CallRequest.DeferEntry(true)));
        CallResult r = app(deferThenStep).call("app-defer-then-step", "step", replay, null);
        assertEquals(200, r.status());
        assertEquals("charged", body(r).asText());
    }

    @Test
    void aRepeatedDeferIdInOneRunIsSentOnce() {
        var fn = fn("twice", (input, step) -> {
            step.defer("receipt", Defer.function(receipt).data(new Receipt("a")));
            step.defer("receipt", Defer.function(receipt).data(new Receipt("b")));
            return "ok";
        });
        CallResult r = app(fn).call("app-twice", "step", request().build(), null);
        assertEquals(List.of("DeferAdd", "RunComplete"), ops(r));
        assertEquals("a", body(r).get(0).get("opts").get("input").get("order").asText());
    }

    @Test
    void abortingADeferNotSentYetTakesItBackAndSendsTheAbort() {
        var fn = fn("abort-now", (input, step) -> {
            Deferred d = step.defer("receipt", Defer.function(receipt).data(new Receipt("o3")));
            d.abort();
            d.abort();
            return "ok";
        });
        CallResult r = app(fn).call("app-abort-now", "step", request().build(), null);
        assertEquals(List.of("DeferAbort", "RunComplete"), ops(r));
        JsonNode abort = body(r).get(0);
        assertEquals(ABORT_ID, abort.get("id").asText());
        assertEquals("receipt", abort.get("name").asText());
        assertEquals("{\"target_hashed_id\":\"" + ADD_ID + "\",\"fn_slug\":\"app-receipt\",\"id\":\"receipt\"}",
                abort.get("opts").toString());
        assertEquals("{\"id\":\"receipt\"}", abort.get("userland").toString());
    }

    final Function<Object, Object> abortLater = fn("abort-later", (input, step) -> {
        Deferred d = step.defer("receipt", Defer.function(receipt).data(new Receipt("o4")));
        if (step.run("check", Boolean.class, () -> true)) {
            d.abort();
        }
        return "ok";
    });

    @Test
    void anAbortInALaterRequestIsSentWhileTheExecutorSaysTheDeferIsAbortable() {
        CallRequest later = withDefers(request().memo("check", true).build(), Map.of(ADD_ID, new CallRequest.DeferEntry(true)));
        CallResult r = app(abortLater).call("app-abort-later", "step", later, null);
        assertEquals(List.of("DeferAbort", "RunComplete"), ops(r));
    }

    @Test
    void anAbortIsNotSentWhenTheExecutorSaysTheDeferCanNoLongerBeAborted() {
        CallRequest later = withDefers(request().memo("check", true).build(), Map.of(ADD_ID, new CallRequest.DeferEntry(false)));
        CallResult r = app(abortLater).call("app-abort-later", "step", later, null);
        assertEquals(200, r.status());
    }

    @Test
    void aFunctionErrorAfterADeferIsAStepErrorOrFailureOnTheCompleteIdWithTheDefer() {
        var fn = fn("defer-then-throw", (input, step) -> {
            step.defer("receipt", Defer.function(receipt));
            throw new IllegalStateException("broke");
        });
        CallResult retried = app(fn).call("app-defer-then-throw", "step", request().maxAttempts(3).build(), null);
        assertEquals(206, retried.status());
        assertEquals(List.of("DeferAdd", "StepError"), ops(retried));
        assertEquals(COMPLETE_ID, body(retried).get(1).get("id").asText());
        assertEquals("broke", body(retried).get(1).get("error").get("message").asText());
        assertEquals("{}", body(retried).get(0).get("opts").get("input").toString(), "no data is an empty object");
        assertTrue(retried.failure());
        assertFalse(retried.noRetry());

        CallResult last = app(fn).call("app-defer-then-throw", "step", request().maxAttempts(3).attempt(2).build(), null);
        assertEquals(List.of("DeferAdd", "StepFailed"), ops(last));
        assertTrue(last.noRetry());
    }

    @Test
    void deferDataThatIsNotAJsonObjectFailsTheFunctionWithOneClearMessage() {
        var fn = fn("bad-data", (input, step) -> {
            step.defer("receipt", Defer.function(receipt).data(List.of(1, 2)));
            return "unreachable";
        });
        CallResult r = app(fn).call("app-bad-data", "step", request().build(), null);
        assertEquals(500, r.status());
        assertEquals("the data of defer \"receipt\" must serialise to a JSON object (a record, a map), got array",
                body(r).get("message").asText());
    }

    @Test
    void aCheckpointCarriesTheDefersFoundBeforeIt() {
        var fn = fn("checkpointed", (input, step) -> {
            step.defer("receipt", Defer.function(receipt).data(new Receipt("o5")));
            step.run("a", Integer.class, () -> 1);
            step.run("b", Integer.class, () -> 2);
            step.sleep("nap", java.time.Duration.ofMinutes(1));
            return "ok";
        });
        var api = new Drive.Recorder();
        CallResult r = app(fn).call("app-checkpointed", "step", request().queueItem("qi-1").build(), null, api);
        assertEquals(List.of("Sleep"), ops(r));
        var sent = new ArrayList<String>();
        for (AsyncCheckpoint c : api.received) {
            for (WireOp op : c.steps()) {
                sent.add(op.op() + ":" + op.name());
            }
        }
        // a and b, quicker than the default linger, leave in one checkpoint; the defer rides after its steps.
        assertEquals(List.of("StepRun:a", "StepRun:b", "DeferAdd:receipt"), sent);
        JsonNode wire = Json.toTree(api.received.get(0).steps().get(2));
        assertEquals("{\"id\":\"receipt\"}", wire.get("userland").toString());
    }

    @Test
    void aDeferredFunctionSyncsAsTheJsSdkSyncsCreateDefer() {
        JsonNode sync = Json.toTree(app().syncRequest("http://localhost:3000/api/inngest", "undertow"));
        JsonNode f = sync.get("functions").get(0);
        assertEquals("app-receipt", f.get("id").asText());
        assertEquals("[{\"event\":\"inngest/deferred.schedule\",\"expression\":\"event.data._inngest.fn_slug == 'app-receipt'\"}]",
                f.get("triggers").toString());
    }

    @Test
    void deferOpsReadBackFromTheWire() {
        var add = new dev.loomstep.protocol.Op.DeferAdd(ADD_ID, "receipt", "app-receipt", Json.toTree(Map.of("order", "x")), null);
        assertEquals(add, dev.loomstep.protocol.Op.fromWire(add.toWire()));
        var abort = new dev.loomstep.protocol.Op.DeferAbort(ABORT_ID, "receipt", ADD_ID, "app-receipt");
        assertEquals(abort, dev.loomstep.protocol.Op.fromWire(abort.toWire()));
    }
}
