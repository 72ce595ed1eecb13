package dev.loomstep.devserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.ByteString;
import dev.loomstep.connect.protocol.FlushResponse;
import dev.loomstep.connect.protocol.GatewayExecutorRequestData;
import dev.loomstep.connect.protocol.GatewayMessageType;
import dev.loomstep.connect.protocol.SDKResponse;
import dev.loomstep.connect.protocol.SDKResponseStatus;
import dev.loomstep.connect.protocol.WorkerReplyAckData;
import dev.loomstep.connect.protocol.WorkerRequestAckData;
import dev.loomstep.connect.protocol.WorkerRequestExtendLeaseAckData;
import dev.loomstep.connect.protocol.WorkerRequestExtendLeaseData;
import dev.loomstep.devserver.connect.ConnectGateway;
import dev.loomstep.protocol.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * How the gateway routes the executor's calls, with hand-driven workers whose every frame the test
 * chooses: balancing, the ack deadline, leases, replies by socket and by flush, and WORKER_PAUSE.
 */
@Timeout(60)
class ConnectRoutingTest {
    static final ConnectGateway.Settings QUICK = new ConnectGateway.Settings(Duration.ofSeconds(10), Duration.ofSeconds(1),
            Duration.ofSeconds(10), Duration.ofSeconds(3), Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(1));

    DevServer dev;
    Api api;

    @BeforeEach
    void start() {
        dev = DevServer.builder().port(0).connectPort(0).inMemory().retryDelayScale(0.001).connectSettings(QUICK).start();
        api = new Api(dev);
    }

    @AfterEach
    void stop() {
        dev.close();
    }

    private static GatewayExecutorRequestData request(RawConnectSocket w, int n) throws Exception {
        return GatewayExecutorRequestData.parseFrom(w.awaitFrame(GatewayMessageType.GATEWAY_EXECUTOR_REQUEST, n).getPayload());
    }

    private static void ack(RawConnectSocket w, GatewayExecutorRequestData r) throws Exception {
        w.send(GatewayMessageType.WORKER_REQUEST_ACK, WorkerRequestAckData.newBuilder().setRequestId(r.getRequestId())
                .setAppId(r.getAppId()).setFunctionSlug(r.getFunctionSlug()).setRunId(r.getRunId()).build());
    }

    private static SDKResponse done(GatewayExecutorRequestData r, String json) {
        return SDKResponse.newBuilder().setRequestId(r.getRequestId()).setAppId(r.getAppId()).setRunId(r.getRunId())
                .setStatus(SDKResponseStatus.DONE).setBody(ByteString.copyFromUtf8(json)).setRequestVersion(1).build();
    }

    @Test
    void callsGoToTheLeastBusyConnectionAndEachReplyIsAcked() throws Exception {
        try (var a = RawConnectSocket.open(dev).handshake("raw"); var b = RawConnectSocket.open(dev).handshake("raw")) {
            String first = api.runOf(api.send("raw/go", Map.of()));
            String second = api.runOf(api.send("raw/go", Map.of()));

            // Both unanswered at once: one each, whichever took the first.
            var ra = request(a, 1);
            var rb = request(b, 1);
            assertEquals("raw", ra.getAppName());
            assertEquals("raw-go", ra.getFunctionSlug());
            assertEquals("step", ra.getStepId());
            assertFalse(ra.getLeaseId().isBlank());
            JsonNode body = Json.mapper().readTree(ra.getRequestPayload().toByteArray());
            assertTrue(body.has("event") && body.has("ctx"), "the HTTP call's JSON body: " + body);
            assertEquals(java.util.Set.of(first, second), java.util.Set.of(ra.getRunId(), rb.getRunId()));

            ack(a, ra);
            ack(b, rb);
            a.send(GatewayMessageType.WORKER_REPLY, done(ra, "\"from a\""));
            b.send(GatewayMessageType.WORKER_REPLY, done(rb, "\"from b\""));

            assertEquals(ra.getRequestId(), WorkerReplyAckData.parseFrom(a.awaitFrame(GatewayMessageType.WORKER_REPLY_ACK, 1).getPayload()).getRequestId());
            assertEquals("from a", api.awaitStatus(ra.getRunId(), "Completed").get("output").asText());
            assertEquals("from b", api.awaitStatus(rb.getRunId(), "Completed").get("output").asText());
        }
    }

    @Test
    void aWorkerNeverHoldsMoreRequestsThanItsMaxConcurrency() throws Exception {
        try (var w = RawConnectSocket.open(dev).handshake("raw", 1)) {
            String one = api.runOf(api.send("raw/go", Map.of()));
            String two = api.runOf(api.send("raw/go", Map.of()));
            var first = request(w, 1);
            ack(w, first);
            // The other call waits for the slot (and fails with "no worker" after 1 s, then is retried).
            String waiting = first.getRunId().equals(one) ? two : one;
            Api.await(() -> api.run(waiting).get("attempt_errors"), e -> e.toString().contains("no worker of app"),
                    "the other run to say it waits for a worker");
            assertEquals(1, w.count(GatewayMessageType.GATEWAY_EXECUTOR_REQUEST), "one request at a time");
            w.send(GatewayMessageType.WORKER_REPLY, done(first, "1"));

            var second = request(w, 2);
            ack(w, second);
            w.send(GatewayMessageType.WORKER_REPLY, done(second, "2"));
            api.awaitStatus(second.getRunId(), "Completed");
            api.awaitStatus(first.getRunId(), "Completed");
        }
    }

    @Test
    void aRequestNotAckedInTimeGoesToAnotherConnection() throws Exception {
        try (var silent = RawConnectSocket.open(dev).handshake("raw")) {
            String runId = api.runOf(api.send("raw/go", Map.of()));
            var ignored = request(silent, 1);
            try (var helpful = RawConnectSocket.open(dev).handshake("raw")) {
                var r = request(helpful, 1);
                assertEquals(ignored.getRequestId(), r.getRequestId(), "the same call, handed on");
                ack(helpful, r);
                helpful.send(GatewayMessageType.WORKER_REPLY, done(r, "{\"ok\":true}"));

                assertTrue(api.awaitStatus(runId, "Completed").get("output").get("ok").asBoolean());
            }
        }
    }

    @Test
    void theCurrentLeaseIsExtendedWithANewIdAndAStaleOneIsNotAndAFlushedReplyCompletesTheCall() throws Exception {
        try (var w = RawConnectSocket.open(dev).handshake("raw")) {
            String runId = api.runOf(api.send("raw/go", Map.of()));
            var r = request(w, 1);
            ack(w, r);
            String lease = r.getLeaseId();
            for (int i = 1; i <= 4; i++) { // 4 s of extensions: past the 3 s lease
                w.send(GatewayMessageType.WORKER_REQUEST_EXTEND_LEASE, WorkerRequestExtendLeaseData.newBuilder()
                        .setRequestId(r.getRequestId()).setLeaseId(lease).setRunId(r.getRunId()).build());
                var ext = WorkerRequestExtendLeaseAckData.parseFrom(w.awaitFrame(GatewayMessageType.WORKER_REQUEST_EXTEND_LEASE_ACK, i).getPayload());
                assertTrue(ext.hasNewLeaseId(), "extension " + i);
                assertNotEquals(lease, ext.getNewLeaseId());
                lease = ext.getNewLeaseId();
                Thread.sleep(1_000); // a worker's extension interval, not a wait for an outcome
            }
            w.send(GatewayMessageType.WORKER_REQUEST_EXTEND_LEASE, WorkerRequestExtendLeaseData.newBuilder()
                    .setRequestId(r.getRequestId()).setLeaseId(r.getLeaseId()).build());
            assertFalse(WorkerRequestExtendLeaseAckData.parseFrom(w.awaitFrame(GatewayMessageType.WORKER_REQUEST_EXTEND_LEASE_ACK, 5).getPayload())
                    .hasNewLeaseId(), "a stale lease id gets no new lease");

            HttpResponse<byte[]> flushed = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(dev.url() + "/v0/connect/flush"))
                    .POST(HttpRequest.BodyPublishers.ofByteArray(done(r, "\"flushed\"").toByteArray())).build(), HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(200, flushed.statusCode());
            assertEquals(r.getRequestId(), FlushResponse.parseFrom(flushed.body()).getRequestId());

            JsonNode run = api.awaitStatus(runId, "Completed");
            assertEquals("flushed", run.get("output").asText());
            assertEquals(0, run.get("attempt_errors").size(), "one attempt, kept alive by its extensions: " + run);
        }
    }

    @Test
    void aLeaseNobodyExtendsExpiresAndTheCallIsRetried() throws Exception {
        try (var w = RawConnectSocket.open(dev).handshake("raw")) {
            String runId = api.runOf(api.send("raw/go", Map.of()));
            var first = request(w, 1);
            ack(w, first);

            var again = request(w, 2); // after the 3 s lease and a (scaled) backoff
            ack(w, again);
            w.send(GatewayMessageType.WORKER_REPLY, done(again, "\"second try\""));

            JsonNode run = api.awaitStatus(runId, "Completed");
            assertEquals("second try", run.get("output").asText());
            assertTrue(run.get("attempt_errors").toString().contains("lease"), run.toString());
        }
    }

    @Test
    void aPausedWorkerGetsNoRequestsAndTheRunSaysNoWorkerIsConnected() throws Exception {
        try (var w = RawConnectSocket.open(dev).handshake("raw")) {
            w.send(GatewayMessageType.WORKER_PAUSE, com.google.protobuf.Empty.getDefaultInstance());
            Api.await(() -> api.get("/v1/apps").get("data").get(0).get("connections").get(0).get("status").asText(),
                    "DRAINING"::equals, "the connection to drain");

            String runId = api.runOf(api.send("raw/go", Map.of()));
            Api.await(() -> api.run(runId).get("attempt_errors"), e -> e.size() >= 1, "a failed attempt");

            assertTrue(api.run(runId).get("attempt_errors").toString().contains("no worker of app \\\"raw\\\" is connected"),
                    api.run(runId).toString());
            assertEquals(0, w.count(GatewayMessageType.GATEWAY_EXECUTOR_REQUEST));
        }
    }
}
