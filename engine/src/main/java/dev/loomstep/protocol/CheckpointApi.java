package dev.loomstep.protocol;

/**
 * The executor's checkpoint API as the engine sees it: "these steps ran, record them". The engine
 * decides what to checkpoint and when; a transport adapter (the HTTP adapter) implements the call,
 * authorised like its other API calls.
 */
@FunctionalInterface
public interface CheckpointApi {
    /**
     * Sends one checkpoint and returns once the executor acknowledged it (retrying transient failures as
     * the transport sees fit). Called on a thread of its own, never on the run's.
     *
     * @throws StaleDispatchException when the executor refuses it as stale (HTTP 409): the run was
     *                                handed to another request and this one must stop
     * @throws RuntimeException       any other failure; the engine then answers the classic way
     */
    void send(AsyncCheckpoint checkpoint);
}
