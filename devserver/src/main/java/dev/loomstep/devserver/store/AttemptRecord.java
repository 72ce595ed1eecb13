package dev.loomstep.devserver.store;

import dev.loomstep.protocol.WireError;

/**
 * One failed attempt of a step: its number (1-based), when it failed, the error, and when the next
 * attempt was due (null when none followed: retries were exhausted or the error was final).
 */
public record AttemptRecord(String runId, String stepId, int attempt, long at, WireError error, Long retryAt) {}
