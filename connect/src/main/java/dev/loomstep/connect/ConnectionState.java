package dev.loomstep.connect;

/** Where a {@link LoomstepConnect} worker is in its life; the names are the JS SDK's. */
public enum ConnectionState {
    /** Connecting for the first time. */
    CONNECTING,
    /** Connected to a gateway and taking requests. */
    ACTIVE,
    /** Draining after {@link LoomstepConnect#close()}: no new requests, in-flight ones finish. */
    PAUSED,
    /** The connection was lost (or the gateway is draining); opening a new one. */
    RECONNECTING,
    /** In-flight requests are done; delivering the last replies and closing the socket. */
    CLOSING,
    /** Closed for good. */
    CLOSED
}
