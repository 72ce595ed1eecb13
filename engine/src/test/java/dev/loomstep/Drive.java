package dev.loomstep;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loomstep.protocol.AsyncCheckpoint;
import dev.loomstep.protocol.CallResult;
import dev.loomstep.protocol.CheckpointApi;
import dev.loomstep.protocol.Json;
import dev.loomstep.protocol.WireOp;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Drives one run to its end in-process, as an executor would: it memoizes what each answer (and, when
 * checkpointing, each checkpoint) reports, retries a step error with the next attempt, and calls again,
 * until the function returns or fails. Sleeps and waits resolve at once. Tests use it to show that a
 * run ends the same in both modes.
 */
public final class Drive {
    /** How the executor calls: the classic protocol, or with {@code fn_id}/{@code qi_id} and a checkpoint API. */
    public enum Mode { CLASSIC, CHECKPOINTING }

    /**
     * The end of a run.
     *
     * @param status   200 when it completed (also for a RunComplete), else the function's error status
     * @param result   the function's result, or its error body
     * @param answers  every answer in order
     * @param checkpoints every checkpoint received
     */
    public record Outcome(int status, JsonNode result, List<CallResult> answers, List<AsyncCheckpoint> checkpoints) {
        public int requests() {
            return answers.size();
        }
    }

    /** A checkpoint API that records and acknowledges. */
    public static class Recorder implements CheckpointApi {
        final List<AsyncCheckpoint> received = new CopyOnWriteArrayList<>();

        @Override
        public void send(AsyncCheckpoint checkpoint) {
            received.add(checkpoint);
        }
    }

    private Drive() {}

    public static Outcome run(Loomstep app, String fnId, Mode mode, Calls first) {
        return run(app, fnId, mode, first, new Recorder());
    }

    public static Outcome run(Loomstep app, String fnId, Mode mode, Calls first, Recorder api) {
        Calls call = mode == Mode.CHECKPOINTING ? first.queueItem("qi-1") : first;
        var answers = new ArrayList<CallResult>();
        int attempt = 0;
        for (int i = 0; i < 50; i++) {
            int seen = api.received.size();
            CallResult r = app.call(fnId, "step", call.attempt(attempt).build(), null, mode == Mode.CHECKPOINTING ? api : null);
            answers.add(r);
            for (AsyncCheckpoint c : api.received.subList(seen, api.received.size())) {
                c.steps().forEach(op -> call.raw(op.id(), memo(op)));
            }
            if (r.status() != 206) {
                return new Outcome(r.status(), Calls.body(r), answers, List.copyOf(api.received));
            }
            boolean retry = false;
            var planned = new ArrayList<String>();
            for (JsonNode op : Calls.body(r)) {
                switch (op.path("op").asText()) {
                    case "RunComplete" -> {
                        return new Outcome(200, op.get("data"), answers, List.copyOf(api.received));
                    }
                    case "StepRun", "StepFailed" -> call.raw(op.get("id").asText(), memo(Json.mapper().convertValue(op, WireOp.class)));
                    case "StepError" -> retry = true;
                    case "Sleep", "WaitForEvent" -> call.raw(op.get("id").asText(), null);
                    case "StepPlanned" -> planned.add(op.get("id").asText());
                    default -> throw new AssertionError("the driver does not handle " + op);
                }
            }
            // A fan-out: the executor calls each planned step targeted (never checkpointed), then re-enters.
            for (String stepId : planned) {
                CallResult t = app.call(fnId, stepId, call.attempt(0).build(), null, mode == Mode.CHECKPOINTING ? api : null);
                answers.add(t);
                if (t.status() != 206) {
                    // The function ended in that call (a fail-fast sibling's failure is memoized): as JS, it answers
                    // the function's error rather than run the step, and the executor ends the run with it.
                    return new Outcome(t.status(), Calls.body(t), answers, List.copyOf(api.received));
                }
                for (JsonNode op : Calls.body(t)) {
                    if (op.path("op").asText().equals("StepRun") || op.path("op").asText().equals("StepFailed")) {
                        call.raw(op.get("id").asText(), memo(Json.mapper().convertValue(op, WireOp.class)));
                    } else if (!op.path("op").asText().equals("StepPlanned") && !op.path("op").asText().equals("StepNotFound")) {
                        // (StepNotFound: a fail-fast fork ended before the branch reached its step; discovery goes on.)
                        throw new AssertionError("the driver does not handle " + op + " from a targeted call");
                    }
                }
            }
            attempt = retry ? attempt + 1 : 0;
        }
        throw new AssertionError("the run did not end within 50 requests: " + answers.size());
    }

    private static JsonNode memo(WireOp op) {
        ObjectNode m = Json.nodes().objectNode();
        if (op.op().equals("StepFailed")) {
            m.set("error", Json.toTree(op.error()));
        } else {
            m.set("data", op.data());
        }
        return m;
    }
}
