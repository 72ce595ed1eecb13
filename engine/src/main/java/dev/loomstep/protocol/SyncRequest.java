package dev.loomstep.protocol;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.flow.BatchEvents;
import dev.loomstep.flow.CancelOn;
import dev.loomstep.flow.Concurrency;
import dev.loomstep.flow.Debounce;
import dev.loomstep.flow.Priority;
import dev.loomstep.flow.RateLimit;
import dev.loomstep.flow.Singleton;
import dev.loomstep.flow.Throttle;
import dev.loomstep.flow.Timeouts;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The app configuration an SDK registers with the executor ({@code POST /fn/register}) when synced.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record SyncRequest(
        String url,
        String v,
        String deployType,
        String sdk,
        String framework,
        String appName,
        String appVersion,
        List<FunctionConfig> functions,
        JsonNode capabilities) {

    /** One function as the executor sees it. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record FunctionConfig(
            String id,
            String name,
            List<TriggerConfig> triggers,
            Map<String, StepConfig> steps,
            List<Concurrency> concurrency,
            RateLimit rateLimit,
            Throttle throttle,
            Debounce debounce,
            BatchEvents batchEvents,
            List<CancelOn> cancel,
            Priority priority,
            String idempotency,
            Timeouts timeouts,
            Singleton singleton) {}

    /**
     * An event trigger ({@code event}, optional CEL {@code expression}) or a cron trigger ({@code cron},
     * optional {@code jitter}: each firing delayed by a random amount up to it).
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record TriggerConfig(String event, String expression, String cron, Duration jitter) {
        public TriggerConfig(String event, String expression, String cron) {
            this(event, expression, cron, null);
        }
    }

    /** The function's single entry step: where and how often to call it. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record StepConfig(String id, String name, Runtime runtime, Retries retries) {}

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Runtime(String type, String url) {}

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Retries(@JsonProperty("attempts") int attempts) {}
}
