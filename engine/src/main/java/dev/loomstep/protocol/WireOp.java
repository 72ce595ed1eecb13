package dev.loomstep.protocol;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * One element of a 206 answer exactly as it travels: {@code {id, op, name, displayName, opts, data,
 * error}}. Code works with the typed {@link Op}; this flat record is only the JSON shape.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonPropertyOrder({"id", "op", "name", "displayName", "opts", "data", "error"})
public record WireOp(String id, String op, String name, String displayName, JsonNode opts, JsonNode data, WireError error) {}
