package dev.loomstep.flow;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import dev.loomstep.protocol.Json;
import java.time.Duration;

/**
 * Cancel a run when {@code event} arrives and the CEL {@code if} holds ({@code event} = the run's
 * trigger, {@code async} = the cancelling event), within {@code timeout} of the run's start.
 *
 * <pre>{@code
 * CancelOn.event("app/order.cancelled").match("data.orderId").timeout(Duration.ofDays(1))
 * }</pre>
 *
 * <p>The timeout is a durable wait: it is synced in whole seconds (a positive one under a second as
 * {@code "1s"}), as the JS SDK writes it.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record CancelOn(
        String event,
        @JsonProperty("if") String ifExpression,
        @JsonSerialize(using = Json.DurableWaitSerializer.class) Duration timeout) {

    public static CancelOn event(String event) {
        return new CancelOn(event, null, null);
    }

    public CancelOn ifExpression(String expression) {
        return new CancelOn(event, expression, timeout);
    }

    /**
     * Cancels only when the field at {@code path} (e.g. {@code "data.orderId"}) is equal in the run's
     * trigger and the cancelling event: shorthand for {@code ifExpression("event.<path> == async.<path>")},
     * which is what the JS SDK syncs for its {@code match} option.
     */
    public CancelOn match(String path) {
        if (path == null || path.isBlank()) {
            throw new IllegalArgumentException("a cancelOn match field must not be blank, e.g. \"data.orderId\"");
        }
        return new CancelOn(event, "event." + path + " == async." + path, timeout);
    }

    public CancelOn timeout(Duration after) {
        return new CancelOn(event, ifExpression, after);
    }
}
