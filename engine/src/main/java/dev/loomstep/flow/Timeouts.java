package dev.loomstep.flow;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Duration;

/** Cancel a run not started within {@code start}, or not finished within {@code finish}. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Timeouts(Duration start, Duration finish) {}
