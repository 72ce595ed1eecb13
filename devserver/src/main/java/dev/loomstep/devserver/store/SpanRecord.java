package dev.loomstep.devserver.store;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A span an SDK sent for a run (its extended traces: {@code /v1/traces/userland}), as the run's trace shows it.
 *
 * @param parentSpanId  hex, or null for a root
 * @param startNanos    epoch nanoseconds
 * @param status        OTLP's code: 0 unset, 1 ok, 2 error
 * @param attributes    the span's attributes as a JSON object (name → value)
 */
public record SpanRecord(String runId, String spanId, String traceId, String parentSpanId, String name, String scope,
                         long startNanos, long endNanos, int status, String statusMessage, JsonNode attributes) {}
