package dev.loomstep.flow;

/** CEL over {@code event} giving -600..600 seconds: the run is queued as if enqueued that much earlier. */
public record Priority(String run) {}
