package dev.loomstep.middleware;

/**
 * A step as middleware sees it.
 *
 * @param id       the user's step id
 * @param hashedId the wire id (SHA-1 of the id, with its repeat index)
 * @param kind     run, sleep, waitForEvent, invoke or sendEvent
 */
public record StepInfo(String id, String hashedId, String kind) {}
