package dev.loomstep.devserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.ByteString;
import dev.loomstep.connect.protocol.ConnectMessage;
import dev.loomstep.connect.protocol.FlushResponse;
import dev.loomstep.connect.protocol.GatewayConnectionReadyData;
import dev.loomstep.connect.protocol.GatewayMessageType;
import dev.loomstep.connect.protocol.SDKResponse;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The start and flush endpoints and the gateway's handshake, driven frame by frame over real sockets. */
@Timeout(60)
class ConnectGatewayHandshakeTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final String FUNCTIONS = RawConnectSocket.FUNCTIONS;

    DevServer dev;
    Api api;

    @BeforeEach
    void start() {
        dev = DevServer.builder().port(0).connectPort(0).inMemory().start();
        api = new Api(dev);
    }

    @AfterEach
    void stop() {
        dev.close();
    }

    private HttpResponse<byte[]> post(String path, byte[] body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(dev.url() + path)).header("Content-Type", "application/protobuf")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    @Test
    void startHandsOutTheGatewayEndpointAndTokensThatAWorkerConnectRedeems() throws Exception {
        try (var s = RawConnectSocket.open(dev)) {
            assertEquals("ws://127.0.0.1:" + dev.connectPort() + "/v0/connect", s.start.getGatewayEndpoint());
            assertEquals(GatewayMessageType.GATEWAY_HELLO, s.awaitFrames(1).get(0).getKind());

            s.send(GatewayMessageType.WORKER_CONNECT, s.workerConnect(s.start.getSessionToken(), "raw", FUNCTIONS));
            ConnectMessage ready = s.awaitFrames(2).get(1);

            assertEquals(GatewayMessageType.GATEWAY_CONNECTION_READY, ready.getKind());
            var intervals = GatewayConnectionReadyData.parseFrom(ready.getPayload());
            assertEquals(List.of("10s", "5s"), List.of(intervals.getHeartbeatInterval(), intervals.getExtendLeaseInterval()));
            JsonNode app = api.get("/v1/apps").get("data").get(0);
            assertEquals("raw", app.get("id").asText());
            assertEquals("connect", app.get("connection_type").asText());
            JsonNode c = app.get("connections").get(0);
            assertEquals("raw-1", c.get("instance_id").asText());
            assertEquals(3, c.get("max_concurrency").asInt());
            assertEquals("READY", c.get("status").asText(), "no manual readiness ack asked: ready at once");
        }
    }

    @Test
    void aWorkerConnectWithTheWrongSessionTokenIsClosedAndSyncsNothing() throws Exception {
        try (var s = RawConnectSocket.open(dev)) {
            s.awaitFrames(1);
            s.send(GatewayMessageType.WORKER_CONNECT, s.workerConnect("forged", "intruder", FUNCTIONS));

            assertEquals("UNEXPECTED", s.awaitClose().reason());
        }
        assertEquals(0, api.get("/v1/apps").get("data").size());
    }

    @Test
    void anInvalidFunctionConfigIsAnsweredWithSyncFailedAndShownAsTheAppsSyncError() throws Exception {
        try (var s = RawConnectSocket.open(dev)) {
            s.awaitFrames(1);
            s.send(GatewayMessageType.WORKER_CONNECT, s.workerConnect(s.start.getSessionToken(), "broken",
                    FUNCTIONS.replace("wss://connect", "https://example.com")));

            ConnectMessage failed = s.awaitFrames(2).get(1);
            assertEquals(GatewayMessageType.SYNC_FAILED, failed.getKind());
            assertTrue(failed.getPayload().toString(StandardCharsets.UTF_8).contains("unusable call URL"), failed.toString());
            assertEquals("UNEXPECTED", s.awaitClose().reason());
        }
        JsonNode app = api.get("/v1/apps").get("data").get(0);
        assertEquals("error", app.get("sync_status").asText(), app.toString());
    }

    @Test
    void aFrameBeforeWorkerConnectClosesTheSocketWithItsReason() throws Exception {
        try (var s = RawConnectSocket.open(dev)) {
            s.awaitFrames(1);
            s.send(GatewayMessageType.WORKER_HEARTBEAT, com.google.protobuf.Empty.getDefaultInstance());

            assertEquals("UNEXPECTED", s.awaitClose().reason());
        }
    }

    @Test
    void startRefusesABodyThatIsNotAStartRequest() throws Exception {
        var r = post("/v0/connect/start", new byte[] {(byte) 0xff, 0x01});

        assertEquals(400, r.statusCode());
        assertTrue(new String(r.body(), StandardCharsets.UTF_8).contains("StartRequest"));
    }

    @Test
    void flushOfAReplyNobodyWaitsForIsAcknowledgedWithItsRequestId() throws Exception {
        byte[] reply = SDKResponse.newBuilder().setRequestId("01UNKNOWNREQUEST").setBody(ByteString.copyFromUtf8("{}")).build().toByteArray();

        for (int i = 0; i < 2; i++) { // idempotent
            var r = post("/v0/connect/flush", reply);
            assertEquals(200, r.statusCode());
            assertEquals("01UNKNOWNREQUEST", FlushResponse.parseFrom(r.body()).getRequestId());
        }
        assertEquals(400, post("/v0/connect/flush", new byte[0]).statusCode(), "a flush without a request id");
    }

    @Test
    void shuttingDownSendsGatewayClosingThenClosesWithGatewayDraining() throws Exception {
        try (var s = RawConnectSocket.open(dev).handshake("raw")) {
            dev.close();

            assertEquals(GatewayMessageType.GATEWAY_CLOSING, s.awaitFrames(3).get(2).getKind());
            assertEquals("GATEWAY_DRAINING", s.awaitClose().reason());
        }
    }

    @Test
    void inProductionModeStartNeedsTheSigningKeysBearer() throws Exception {
        try (var prod = DevServer.builder().port(0).connectPort(0).inMemory().production()
                .signingKey("signkey-test-" + "ab".repeat(32)).eventKey("k").start()) {
            var r = HTTP.send(HttpRequest.newBuilder(URI.create(prod.url() + "/v0/connect/start"))
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());

            assertEquals(401, r.statusCode(), r.body());
        }
    }

    @Test
    void withoutConnectTheStartEndpointSaysSo() throws Exception {
        try (var off = DevServer.builder().port(0).noConnect().inMemory().start()) {
            var r = HTTP.send(HttpRequest.newBuilder(URI.create(off.url() + "/v0/connect/start"))
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(503, r.statusCode());
            assertEquals(-1, off.connectPort());
        }
    }
}
