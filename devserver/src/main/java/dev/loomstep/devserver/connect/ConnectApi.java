package dev.loomstep.devserver.connect;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.loomstep.connect.protocol.FlushResponse;
import dev.loomstep.connect.protocol.SDKResponse;
import dev.loomstep.connect.protocol.StartRequest;
import dev.loomstep.connect.protocol.StartResponse;

/**
 * The HTTP side of Connect on the devserver's API port: {@code POST /v0/connect/start} hands a worker a
 * connection id, the gateway's WebSocket URL and its session tokens; {@code POST /v0/connect/flush}
 * takes a reply whose socket died. Both speak protobuf ({@code application/protobuf}). Authorization
 * (the hashed signing key's bearer in production mode) is checked in front of them, as for every
 * {@code /v0} call.
 */
public final class ConnectApi {
    /** The gateway group every start response names: the devserver has one gateway. */
    static final String GATEWAY_GROUP = "loomstep-dev";
    private final ConnectGateway gateway;

    public ConnectApi(ConnectGateway gateway) {
        this.gateway = gateway;
    }

    /**
     * @param requestHost the host the worker reached the API on (the {@code Host} header, port removed), so
     *                    that the gateway URL works from where the worker is; null for the gateway's own host
     * @throws IllegalArgumentException when the body is not a StartRequest
     */
    public StartResponse start(byte[] body, String requestHost) {
        try {
            StartRequest.parseFrom(body); // excluded gateway groups: there is only one here
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("the body of /v0/connect/start must be a protobuf StartRequest: " + e.getMessage());
        }
        String[] s = gateway.newSession();
        return StartResponse.newBuilder()
                .setConnectionId(s[0])
                .setGatewayEndpoint(gateway.endpoint(requestHost))
                .setGatewayGroup(GATEWAY_GROUP)
                .setSessionToken(s[1])
                .setSyncToken(s[2])
                .build();
    }

    /**
     * Delivers a flushed reply to the call waiting for it. Idempotent: a reply for a request no longer in
     * flight (answered already, or given up and retried) is acknowledged and dropped, as the gateway's
     * buffered replies may arrive twice.
     *
     * @throws IllegalArgumentException when the body is not an SDKResponse with a request id
     */
    public FlushResponse flush(byte[] body) {
        SDKResponse reply;
        try {
            reply = SDKResponse.parseFrom(body);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("the body of /v0/connect/flush must be a protobuf SDKResponse: " + e.getMessage());
        }
        if (reply.getRequestId().isBlank()) {
            throw new IllegalArgumentException("the flushed SDKResponse has no request_id");
        }
        gateway.requests().replied(reply, "a flushed reply");
        return FlushResponse.newBuilder().setRequestId(reply.getRequestId()).build();
    }
}
