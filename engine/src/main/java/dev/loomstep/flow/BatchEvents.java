package dev.loomstep.flow;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Duration;

/** One run for up to {@code maxSize} events, or for what arrived when {@code timeout} elapses. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record BatchEvents(int maxSize, Duration timeout, String key, @JsonProperty("if") String ifExpression) {
    public static BatchEvents of(int maxSize, Duration timeout) {
        return new BatchEvents(maxSize, timeout, null, null);
    }
}
