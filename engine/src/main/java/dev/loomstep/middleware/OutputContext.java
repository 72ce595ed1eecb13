package dev.loomstep.middleware;

import com.fasterxml.jackson.databind.JsonNode;

/** The output of the function or of the step executed in this request, mutable by middleware. */
public interface OutputContext {
    /** The step whose output this is, or null for the function's own result or error. */
    StepInfo step();

    /** The JSON result, or null when there is an error. */
    JsonNode result();

    void result(JsonNode replacement);

    /** The error, or null. */
    Throwable error();

    void error(Throwable replacement);
}
