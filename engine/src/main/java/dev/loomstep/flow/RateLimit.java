package dev.loomstep.flow;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Duration;

/** At most {@code limit} run starts per {@code period} per key; excess events start no run. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RateLimit(int limit, Duration period, String key) {
    public static RateLimit of(int limit, Duration period) {
        return new RateLimit(limit, period, null);
    }
}
