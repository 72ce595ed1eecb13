package dev.loomstep.flow;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Duration;

/** Start one run {@code period} after the last event for the key; {@code timeout} caps the delay. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Debounce(Duration period, String key, Duration timeout) {
    public static Debounce of(Duration period) {
        return new Debounce(period, null, null);
    }
}
