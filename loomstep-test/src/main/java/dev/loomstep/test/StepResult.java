package dev.loomstep.test;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.protocol.Json;
import dev.loomstep.protocol.WireError;

/**
 * One step of a test run, in the order the function reached it.
 *
 * @param id       the step id as written in the function ({@code step.run("charge", …)} → {@code "charge"})
 * @param kind     run, sendEvent, sleep, waitForEvent or invoke
 * @param options  what the function asked for, as sent to the executor: a sleep's {@code duration}, a
 *                 wait's {@code event}, {@code timeout} and {@code if}, an invoke's {@code function_id},
 *                 {@code payload} and {@code timeout}; null for a plain run step
 * @param output   the step's result (a wait's matching event, JSON null when it timed out); null while it
 *                 has none or when it failed
 * @param error    the error the step failed with for good, or null
 * @param attempts how many times its body ran (or its mock answered); 0 for sleeps and waits
 * @param mocked   true when a {@link Mock} answered instead of the body
 */
public record StepResult(String id, StepKind kind, JsonNode options, JsonNode output, WireError error, int attempts,
                         boolean mocked) {

    /** True when the step has a result (it did not fail and is not pending). */
    public boolean succeeded() {
        return error == null && output != null;
    }

    /** The output bound to {@code type}. */
    public <T> T output(Class<T> type) {
        return Json.mapper().convertValue(requireOutput(), type);
    }

    /** The output bound to a generic type. */
    public <T> T output(TypeReference<T> type) {
        return Json.mapper().convertValue(requireOutput(), type);
    }

    private JsonNode requireOutput() {
        if (output == null) {
            throw new IllegalStateException("step \"" + id + "\" has no output" + (error == null ? "" : "; it failed with "
                    + error.name() + ": " + error.message()));
        }
        return output;
    }

    @Override
    public String toString() {
        String result = error != null ? "✗ " + error.name() + ": " + error.message() : output == null ? "…" : "→ " + output;
        return kind + " " + id + " " + result + (attempts > 1 ? " (" + attempts + " attempts)" : "") + (mocked ? " [mock]" : "");
    }
}
