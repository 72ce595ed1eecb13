package dev.loomstep.flow;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Duration;

/** At most {@code limit} run starts per {@code period} (plus {@code burst}) per key; excess waits. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Throttle(int limit, Duration period, Integer burst, String key) {
    public static Throttle of(int limit, Duration period) {
        return new Throttle(limit, period, null, null);
    }
}
