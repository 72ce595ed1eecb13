package dev.loomstep.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A typed opcode of a 206 answer. SDK code creates these; the devserver parses every shape an SDK may
 * send ({@link #fromWire}) back into them. A switch over {@code Op} is exhaustive, so a new opcode
 * breaks the build where it must be handled.
 */
public sealed interface Op
        permits Op.StepRun, Op.StepError, Op.StepFailed, Op.StepPlanned, Op.Sleep, Op.WaitForEvent,
                Op.InvokeFunction, Op.StepNotFound, Op.RunComplete, Op.Other,
                Op.Gateway, Op.AIGateway, Op.WaitForSignal, Op.DeferAdd, Op.DeferAbort {

    /** Hashed step id. */
    String id();

    /** The flat JSON shape of this op. */
    WireOp toWire();

    /**
     * A run step executed in this request, with its JSON result. {@code opts} is null for
     * {@code step.run} and {@code {"type": "step.sendEvent"}} for a sendEvent.
     */
    record StepRun(String id, String name, String displayName, JsonNode opts, JsonNode data) implements Op {
        public WireOp toWire() {
            return new WireOp(id, OpCode.StepRun.name(), name, displayName, opts, data == null ? Json.nodes().nullNode() : data, null);
        }
    }

    /** A run step that threw and may be retried by the executor. */
    record StepError(String id, String name, String displayName, WireError error) implements Op {
        public WireOp toWire() {
            return new WireOp(id, OpCode.StepError.name(), name, displayName, null, null, error);
        }
    }

    /**
     * A run step whose error is final: it threw a non-retriable error or ran out of attempts. Like the
     * JS SDK, the error is repeated in {@code data} without its stack, the form executors memoize.
     */
    record StepFailed(String id, String name, String displayName, WireError error) implements Op {
        public WireOp toWire() {
            ObjectNode data = Json.nodes().objectNode();
            data.put("__serialized", true);
            data.put("name", error.name());
            data.put("message", error.message());
            data.put("stack", "");
            return new WireOp(id, OpCode.StepFailed.name(), name, displayName, null, data, error);
        }
    }

    /** A run step found but not executed; the executor calls back with {@code stepId=id}. */
    record StepPlanned(String id, String name, String displayName, JsonNode opts) implements Op {
        public WireOp toWire() {
            return new WireOp(id, OpCode.StepPlanned.name(), name, displayName, opts == null ? emptyOpts() : opts, null, null);
        }
    }

    /**
     * A durable sleep. {@code until} is a time string ({@code "30s"}) or an RFC 3339 instant. It
     * travels in {@code name} (as the official JS SDK sends it) and in {@code opts.duration} (as the
     * spec describes it), so every executor finds it.
     */
    record Sleep(String id, String displayName, String until) implements Op {
        public WireOp toWire() {
            ObjectNode opts = emptyOpts();
            opts.put("duration", until);
            return new WireOp(id, OpCode.Sleep.name(), until, displayName, opts, null, null);
        }
    }

    /**
     * Wait for an event. The event name travels in {@code name} (JS) and {@code opts.event} (spec).
     * Loomstep itself never sends {@code match}: like the JS SDK it turns it into an {@code if}.
     *
     * @param ifExpression CEL over {@code event} (the run's trigger) and {@code async} (the candidate)
     * @param match        legacy field other SDKs may send: {@code "data.x"} means {@code event.data.x == async.data.x}
     */
    record WaitForEvent(String id, String displayName, String event, String timeout, String ifExpression, String match) implements Op {
        public WireOp toWire() {
            ObjectNode opts = emptyOpts();
            opts.put("event", event);
            opts.put("timeout", timeout);
            if (ifExpression != null) {
                opts.put("if", ifExpression);
            }
            if (match != null) {
                opts.put("match", match);
            }
            return new WireOp(id, OpCode.WaitForEvent.name(), event, displayName, opts, null, null);
        }
    }

    /**
     * Invoke another function by composite id with {@code payload} = {@code {data, user?}}. Sent without
     * a {@code name}, as the JS SDK sends it.
     */
    record InvokeFunction(String id, String displayName, String functionId, JsonNode payload, String timeout) implements Op {
        public WireOp toWire() {
            ObjectNode opts = emptyOpts();
            opts.put("function_id", functionId);
            opts.set("payload", payload);
            if (timeout != null) {
                opts.put("timeout", timeout);
            }
            return new WireOp(id, OpCode.InvokeFunction.name(), null, displayName, opts, null, null);
        }
    }

    /** A targeted step ({@code stepId}) that the function did not reach in this request. */
    record StepNotFound(String id) implements Op {
        public WireOp toWire() {
            return new WireOp(id, OpCode.StepNotFound.name(), null, null, null, null, null);
        }
    }

    /** The run finished with {@code data} as its result (the checkpointing form of a 200). */
    record RunComplete(String id, JsonNode data) implements Op {
        public WireOp toWire() {
            return new WireOp(id, OpCode.RunComplete.name(), null, null, null, data, null);
        }
    }

    /**
     * An HTTP request the executor makes for the SDK ({@code step.fetch}). {@code opts} is
     * {@code {url, method, headers, body}}; sent without a {@code name}, as the JS SDK sends it. The
     * executor memoizes {@code {url, headers, body, status_code}} as the step's data.
     */
    record Gateway(String id, String displayName, JsonNode opts) implements Op {
        public WireOp toWire() {
            return new WireOp(id, OpCode.Gateway.name(), null, displayName, opts == null ? emptyOpts() : opts, null, null);
        }
    }

    /**
     * Wait for a signal: {@code opts} {@code {signal, timeout, conflict?}}, the signal also in {@code name},
     * as the JS SDK sends it. Memoized with {@code {"data": {"signal", "data"}}}, or null on timeout.
     *
     * @param conflict {@code "replace"} to take the signal over from another waiting run; null to fail then
     */
    record WaitForSignal(String id, String displayName, String signal, String timeout, String conflict) implements Op {
        public WireOp toWire() {
            ObjectNode opts = emptyOpts();
            opts.put("signal", signal);
            opts.put("timeout", timeout);
            if (conflict != null) {
                opts.put("conflict", conflict);
            }
            return new WireOp(id, OpCode.WaitForSignal.name(), signal, displayName, opts, null, null);
        }
    }

    /**
     * A model call the executor makes for the SDK ({@code step.ai.infer}). {@code opts} is
     * {@code {type: "step.ai.infer", url, headers, auth_key, format, body}}; the executor memoizes the
     * provider's response as the step's data.
     */
    record AIGateway(String id, String displayName, JsonNode opts) implements Op {
        public WireOp toWire() {
            return new WireOp(id, OpCode.AIGateway.name(), null, displayName, opts == null ? emptyOpts() : opts, null, null);
        }
    }

    /**
     * A run of function {@code fnSlug} ({@code {appId}-{functionId}}) to start with {@code input} (a JSON
     * object) once this run has finished. {@code id} is the SHA-1 of {@code userlandId} (without the repeat
     * suffix step ids get); {@code name} and {@code displayName} are the userland id too, and {@code data} is
     * sent as null, as the JS SDK 4.24 sends it.
     *
     * @param meta the deferred event's {@code meta} (a JSON object), or null
     */
    record DeferAdd(String id, String userlandId, String fnSlug, JsonNode input, JsonNode meta) implements Op {
        public WireOp toWire() {
            ObjectNode opts = emptyOpts();
            opts.put("fn_slug", fnSlug);
            opts.set("input", input == null ? emptyOpts() : input);
            if (meta != null && !meta.isNull()) {
                opts.set("meta", meta);
            }
            return new WireOp(id, OpCode.DeferAdd.name(), userlandId, userlandId, opts, Json.nodes().nullNode(), null, null,
                    userland(userlandId));
        }
    }

    /**
     * Drops the {@link DeferAdd} whose id is {@code targetHashedId}. Its own {@code id} is the SHA-1 of
     * {@code targetHashedId + ":abort"}; {@code opts} also name the target's function and userland id.
     */
    record DeferAbort(String id, String userlandId, String targetHashedId, String fnSlug) implements Op {
        public WireOp toWire() {
            ObjectNode opts = emptyOpts();
            opts.put("target_hashed_id", targetHashedId);
            opts.put("fn_slug", fnSlug);
            opts.put("id", userlandId);
            return new WireOp(id, OpCode.DeferAbort.name(), userlandId, userlandId, opts, Json.nodes().nullNode(), null, null,
                    userland(userlandId));
        }
    }

    /**
     * An op kept in its wire form: an opcode Loomstep does not act on as sent, or an op the engine
     * reports with extra {@code opts} (a step inside a race).
     */
    record Other(WireOp raw) implements Op {
        public String id() {
            return raw.id();
        }

        public WireOp toWire() {
            return raw;
        }
    }

    /**
     * Reads any op an SDK may send: {@code Step}/{@code StepRun}, {@code StepError}/{@code StepFailed},
     * the event name in {@code opts.event} or {@code name}, the sleep in {@code opts.duration} or
     * {@code name}.
     */
    static Op fromWire(WireOp w) {
        OpCode code = OpCode.fromWire(w.op());
        if (code == null) {
            return new Other(w);
        }
        JsonNode opts = w.opts() == null ? Json.nodes().objectNode() : w.opts();
        return switch (code) {
            case StepRun, Step -> new StepRun(w.id(), w.name(), w.displayName(), w.opts(), w.data());
            case StepError -> new StepError(w.id(), w.name(), w.displayName(), w.error());
            case StepFailed -> new StepFailed(w.id(), w.name(), w.displayName(), w.error());
            case StepPlanned -> new StepPlanned(w.id(), w.name(), w.displayName(), w.opts());
            case Sleep -> new Sleep(w.id(), w.displayName(), nonBlank(opts, "duration", w.name()));
            case WaitForEvent -> new WaitForEvent(w.id(), w.displayName(), nonBlank(opts, "event", w.name()),
                    text(opts, "timeout", null), text(opts, "if", null), text(opts, "match", null));
            case InvokeFunction -> new InvokeFunction(w.id(), w.displayName(), text(opts, "function_id", null),
                    opts.get("payload"), text(opts, "timeout", null));
            case StepNotFound -> new StepNotFound(w.id());
            case RunComplete -> new RunComplete(w.id(), w.data());
            case WaitForSignal -> new WaitForSignal(w.id(), w.displayName(), text(opts, "signal", w.name()),
                    text(opts, "timeout", null), text(opts, "conflict", null));
            case AIGateway -> new AIGateway(w.id(), w.displayName(), opts);
            case Gateway -> new Gateway(w.id(), w.displayName(), opts);
            case DeferAdd -> new DeferAdd(w.id(), userlandId(w), text(opts, "fn_slug", null), opts.get("input"), opts.get("meta"));
            case DeferAbort -> new DeferAbort(w.id(), text(opts, "id", userlandId(w)), text(opts, "target_hashed_id", null),
                    text(opts, "fn_slug", null));
        };
    }

    private static String text(JsonNode opts, String field, String fallback) {
        JsonNode v = opts.get(field);
        return v == null || v.isNull() ? fallback : v.asText();
    }

    /** As Inngest reads a sleep's duration and a wait's event: an empty one falls back to the op's name. */
    private static String nonBlank(JsonNode opts, String field, String fallback) {
        String v = text(opts, field, null);
        return v == null || v.isEmpty() ? fallback : v;
    }

    private static String userlandId(WireOp w) {
        JsonNode u = w.userland();
        if (u != null && u.hasNonNull("id")) {
            return u.get("id").asText();
        }
        return w.displayName() != null ? w.displayName() : w.name();
    }

    private static JsonNode userland(String userlandId) {
        return userlandId == null ? null : Json.nodes().objectNode().put("id", userlandId);
    }

    private static ObjectNode emptyOpts() {
        return Json.nodes().objectNode();
    }
}
