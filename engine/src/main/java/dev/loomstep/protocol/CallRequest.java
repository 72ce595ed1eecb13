package dev.loomstep.protocol;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Event;
import java.util.List;
import java.util.Map;

/**
 * The body of an executor's call request (POST to the SDK endpoint).
 *
 * @param steps memoized state keyed by hashed step id; each value is kept as sent
 *              ({@code {"data": …}}, {@code {"error": …}}, a bare value, or JSON null) and decoded by
 *              the step that consumes it
 * @param defers the defers the executor already holds for the run, by hashed id ({@code step.defer}): the
 *               SDK does not report them again, and aborts one only while it is {@code abortable}
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record CallRequest(
        Event event,
        List<Event> events,
        Map<String, JsonNode> steps,
        CallContext ctx,
        Integer version,
        @JsonProperty("use_api") Boolean useApi,
        @JsonInclude(JsonInclude.Include.NON_EMPTY) Map<String, DeferEntry> defers) {

    public CallRequest {
        events = events == null ? (event == null ? List.of() : List.of(event)) : events;
        steps = steps == null ? Map.of() : steps;
        ctx = ctx == null ? CallContext.EMPTY : ctx;
        defers = defers == null ? Map.of() : defers;
    }

    /** A call request for a run without defers. */
    public CallRequest(Event event, List<Event> events, Map<String, JsonNode> steps, CallContext ctx, Integer version, Boolean useApi) {
        this(event, events, steps, ctx, version, useApi, null);
    }

    /**
     * A defer the executor already holds. {@code abortable}: its run has not been scheduled yet, so a
     * {@code DeferAbort} still drops it.
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record DeferEntry(boolean abortable) {}

    /** The run's context as sent by the executor. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record CallContext(
            @JsonProperty("run_id") String runId,
            @JsonProperty("attempt") int attempt,
            @JsonProperty("fn_id") String fnId,
            @JsonProperty("disable_immediate_execution") boolean disableImmediateExecution,
            @JsonProperty("use_api") boolean useApi,
            @JsonProperty("max_attempts") Integer maxAttempts,
            @JsonProperty("stack") Stack stack,
            @JsonProperty("env") String env,
            @JsonProperty("qi_id") String qiId) {

        static final CallContext EMPTY = new CallContext(null, 0, null, false, false, null, null, null, null);

        public CallContext {
            stack = stack == null ? Stack.EMPTY : stack;
        }

        /** A context without a queue item id (an executor that does not offer checkpointing). */
        public CallContext(String runId, int attempt, String fnId, boolean disableImmediateExecution, boolean useApi,
                           Integer maxAttempts, Stack stack, String env) {
            this(runId, attempt, fnId, disableImmediateExecution, useApi, maxAttempts, stack, env, null);
        }
    }

    /** The order in which the executor recorded step results; memoization follows it. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Stack(List<String> stack, int current) {
        static final Stack EMPTY = new Stack(List.of(), 0);

        public Stack {
            stack = stack == null ? List.of() : stack;
        }
    }
}
