package dev.loomstep.flow;

import com.fasterxml.jackson.annotation.JsonInclude;

/** At most one running run per key: a new one is skipped, or cancels the running one. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Singleton(String key, Mode mode) {
    public enum Mode { skip, cancel }
}
