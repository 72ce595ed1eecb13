package dev.loomstep.flow;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Duration;

/**
 * Cancel a run when {@code event} arrives and the CEL {@code if} holds ({@code event} = the run's
 * trigger, {@code async} = the cancelling event), within {@code timeout} of the run's start.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record CancelOn(String event, @JsonProperty("if") String ifExpression, Duration timeout) {
    public static CancelOn event(String event) {
        return new CancelOn(event, null, null);
    }

    public CancelOn ifExpression(String expression) {
        return new CancelOn(event, expression, timeout);
    }

    public CancelOn timeout(Duration after) {
        return new CancelOn(event, ifExpression, after);
    }
}
