package dev.loomstep.connect;

import static dev.loomstep.connect.ConnectTestApp.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.connect.protocol.ConnectMessage;
import dev.loomstep.connect.protocol.GatewayConnectionReadyData;
import dev.loomstep.connect.protocol.GatewayMessageType;
import dev.loomstep.connect.protocol.SDKResponse;
import dev.loomstep.connect.protocol.SDKResponseStatus;
import dev.loomstep.connect.protocol.WorkerConnectRequestData;
import dev.loomstep.connect.protocol.WorkerRequestAckData;
import dev.loomstep.connect.protocol.WorkerRequestExtendLeaseData;
import dev.loomstep.connect.protocol.WorkerStatusData;
import dev.loomstep.http.signing.SigningKey;
import dev.loomstep.protocol.Json;
import dev.loomstep.testkit.LogCapture;
import dev.loomstep.undertow.LoomstepServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The worker against a real WebSocket gateway on loopback, serving a real Loomstep app. */
class LoomstepConnectTest {
    private final FakeGateway gateway = new FakeGateway();
    private final ConnectTestApp apps = new ConnectTestApp();
    private LoomstepConnect worker;

    @AfterEach
    void stop() {
        apps.release.countDown();
        if (worker != null) {
            worker.close();
        }
        gateway.close();
    }

    private LoomstepConnect connect(LoomstepConnect.Builder b) {
        worker = b.build();
        worker.connect();
        return worker;
    }

    static void eventually(BooleanSupplier condition, String what) throws InterruptedException {
        long end = System.nanoTime() + FakeGateway.WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("not within " + FakeGateway.WAIT.toSeconds() + " s: " + what);
            }
            Thread.sleep(10);
        }
    }

    @Test
    void theHandshakeSendsTheStartCallAndWorkerConnectAsTheJsWorkerDoes() throws Exception {
        connect(ConnectTestApp.worker(apps.cloud(gateway, ConnectTestApp.KEY, null)).maxConcurrency(50));
        var session = gateway.nextSession();
        assertEquals(ConnectionState.ACTIVE, worker.state());
        assertEquals("v0.connect.inngest.com", session.subprotocol);

        var start = gateway.starts.get(0);
        assertEquals("Bearer " + new SigningKey(ConnectTestApp.KEY).bearerToken(), start.headers().get("Authorization"));
        assertEquals("staging", start.headers().get("X-Inngest-Env"));
        assertEquals("application/protobuf", start.headers().get("Content-Type"));

        var hello = WorkerConnectRequestData.parseFrom(session.next(GatewayMessageType.WORKER_CONNECT).getPayload());
        assertEquals("conn-1", hello.getConnectionId());
        assertEquals("billing-1", hello.getInstanceId());
        assertEquals("session-1", hello.getAuthData().getSessionToken());
        assertEquals("sync-1", hello.getAuthData().getSyncToken());
        assertEquals("java", hello.getSdkLanguage());
        assertEquals("connect", hello.getFramework());
        assertEquals("v0.1.0", hello.getSdkVersion());
        assertEquals("staging", hello.getEnvironment());
        assertEquals(50, hello.getMaxWorkerConcurrency());
        assertTrue(hello.getWorkerManualReadinessAck());
        assertTrue(hello.getSystemAttributes().getCpuCores() > 0);
        assertTrue(hello.getStartedAt().getSeconds() > 0);
        assertEquals(Json.mapper().readTree("{\"trust_probe\":\"v1\",\"connect\":\"v1\"}"),
                Json.mapper().readTree(hello.getCapabilities().toByteArray()));
        assertEquals(1, hello.getAppsCount());
        assertEquals("billing", hello.getApps(0).getAppName());
        JsonNode functions = Json.mapper().readTree(hello.getApps(0).getFunctions().toByteArray());
        assertEquals(2, functions.size());
        for (JsonNode fn : functions) {
            JsonNode runtime = fn.path("steps").path("step").path("runtime");
            assertEquals("ws", runtime.path("type").asText(), fn.toString());
            assertTrue(runtime.path("url").asText().startsWith("wss://connect/?fnId=billing-"), fn.toString());
        }
        session.next(GatewayMessageType.WORKER_READY);
    }

    @Test
    void aRequestIsAckedRunAndRepliedWithExactlyTheBodyHttpServingAnswers() throws Exception {
        connect(ConnectTestApp.worker(apps.dev(gateway)));
        var session = gateway.nextReadySession();
        session.send(GatewayMessageType.GATEWAY_EXECUTOR_REQUEST, request("r1", "charge"));

        var ack = WorkerRequestAckData.parseFrom(session.next(GatewayMessageType.WORKER_REQUEST_ACK).getPayload());
        assertEquals("r1", ack.getRequestId());
        assertEquals("billing-charge", ack.getFunctionSlug());
        assertEquals("01RUN", ack.getRunId());
        assertEquals("step", ack.getStepId());
        var reply = SDKResponse.parseFrom(session.next(GatewayMessageType.WORKER_REPLY).getPayload());
        assertEquals("r1", reply.getRequestId());
        assertEquals("acc", reply.getAccountId());
        assertEquals("01RUN", reply.getRunId());
        assertEquals(SDKResponseStatus.NOT_COMPLETED, reply.getStatus(), reply.getBody().toStringUtf8());
        assertEquals("loomstep:v0.1.0", reply.getSdkVersion());
        assertEquals(1, reply.getRequestVersion());
        assertFalse(reply.getNoRetry());

        // The same call over HTTP, to the same app, answers the same body.
        try (var server = LoomstepServer.builder(apps.dev(gateway)).port(0).start()) {
            var http = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(server.url() + "?fnId=billing-charge&stepId=step"))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(ConnectTestApp.DISCOVER)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(206, http.statusCode());
            // the same ops, but for when the step ran (each call ran it)
            assertEquals(untimed(http.body()), untimed(reply.getBody().toStringUtf8()));
        }
        assertEquals(2, apps.stepRuns.get());
    }

    @Test
    void aSlowStepHasItsLeaseExtendedWithEachNewLeaseUntilItReplies() throws Exception {
        gateway.ready = GatewayConnectionReadyData.newBuilder().setHeartbeatInterval("10s").setExtendLeaseInterval("100ms").build();
        apps.release = new CountDownLatch(1);
        connect(ConnectTestApp.worker(apps.dev(gateway)));
        var session = gateway.nextReadySession();
        session.send(GatewayMessageType.GATEWAY_EXECUTOR_REQUEST, request("r1", "slow"));

        var first = WorkerRequestExtendLeaseData.parseFrom(session.next(GatewayMessageType.WORKER_REQUEST_EXTEND_LEASE).getPayload());
        assertEquals("lease-r1", first.getLeaseId());
        // An extension may leave before the gateway's ack of the previous one arrives (a busy machine, a
        // 100 ms interval): it then names the same lease. What must hold is that the renewed lease is taken
        // up and that no extension names anything but the newest lease the worker has been given.
        String lease;
        do {
            lease = WorkerRequestExtendLeaseData.parseFrom(session.next(GatewayMessageType.WORKER_REQUEST_EXTEND_LEASE).getPayload())
                    .getLeaseId();
            assertTrue(lease.equals("lease-r1") || lease.equals("lease-r1+"), "an extension names the lease it holds: " + lease);
        } while (!lease.equals("lease-r1+"));
        apps.release.countDown();
        var reply = SDKResponse.parseFrom(session.next(GatewayMessageType.WORKER_REPLY).getPayload());
        assertEquals("r1", reply.getRequestId());
        int extensions = count(session, GatewayMessageType.WORKER_REQUEST_EXTEND_LEASE);
        Thread.sleep(300); // three intervals: no extension may follow the reply
        assertEquals(extensions, count(session, GatewayMessageType.WORKER_REQUEST_EXTEND_LEASE));
    }

    @Test
    void aLostLeaseIsNoLongerExtended() throws Exception {
        gateway.ready = GatewayConnectionReadyData.newBuilder().setHeartbeatInterval("10s").setExtendLeaseInterval("100ms").build();
        gateway.renewLeases = false;
        apps.release = new CountDownLatch(1);
        connect(ConnectTestApp.worker(apps.dev(gateway)));
        var session = gateway.nextReadySession();
        session.send(GatewayMessageType.GATEWAY_EXECUTOR_REQUEST, request("r1", "slow"));
        session.next(GatewayMessageType.WORKER_REQUEST_EXTEND_LEASE);
        Thread.sleep(400);
        assertEquals(1, count(session, GatewayMessageType.WORKER_REQUEST_EXTEND_LEASE));
        apps.release.countDown();
        session.next(GatewayMessageType.WORKER_REPLY);
    }

    @Test
    void aReplyWhoseSocketDiesBeforeTheAckIsFlushedOverHttp() throws Exception {
        apps.release = new CountDownLatch(1);
        connect(ConnectTestApp.worker(apps.cloud(gateway, ConnectTestApp.KEY, null)));
        var session = gateway.nextReadySession();
        gateway.ackReplies = false;
        session.send(GatewayMessageType.GATEWAY_EXECUTOR_REQUEST, request("r1", "slow"));
        session.next(GatewayMessageType.WORKER_REQUEST_ACK);
        apps.release.countDown();
        session.next(GatewayMessageType.WORKER_REPLY);
        session.kill();

        SDKResponse flushed = gateway.nextFlush();
        assertEquals("r1", flushed.getRequestId());
        assertEquals(SDKResponseStatus.NOT_COMPLETED, flushed.getStatus());
        assertEquals("done", Json.mapper().readTree(flushed.getBody().toByteArray()).get(0).get("data").asText());
        assertEquals("Bearer " + new SigningKey(ConnectTestApp.KEY).bearerToken(), gateway.flushHeaders.get(0).get("Authorization"));
        gateway.nextReadySession(); // and the worker is back
    }

    @Test
    void aReplyFinishedWhileDisconnectedIsFlushedAndTheWorkerReconnects() throws Exception {
        // Short heartbeats: a dropped TCP connection is not always reported by the socket at once; the
        // heartbeat that cannot be written (or is not answered) finds it.
        gateway.ready = GatewayConnectionReadyData.newBuilder().setHeartbeatInterval("200ms").setExtendLeaseInterval("5s").build();
        apps.release = new CountDownLatch(1);
        connect(ConnectTestApp.worker(apps.dev(gateway)));
        var session = gateway.nextReadySession();
        gateway.startStatus = 503; // the API is down too: the reply cannot wait for a new socket
        session.send(GatewayMessageType.GATEWAY_EXECUTOR_REQUEST, request("r1", "slow"));
        session.next(GatewayMessageType.WORKER_REQUEST_ACK);
        session.kill();
        eventually(() -> worker.state() == ConnectionState.RECONNECTING, "the worker notices the lost connection");
        apps.release.countDown();
        assertEquals("r1", gateway.nextFlush().getRequestId());
        gateway.startStatus = 0;
        gateway.nextReadySession();
        eventually(() -> worker.state() == ConnectionState.ACTIVE, "active again");
    }

    @Test
    void whenTheGatewayClosesTheWorkerReconnectsWithBackoffAvoidingThatGatewayGroup() throws Exception {
        connect(ConnectTestApp.worker(apps.dev(gateway)));
        var first = gateway.nextReadySession();
        gateway.startStatus = 503;
        first.close(1001, "going away");
        eventually(() -> gateway.starts.size() >= 4, "the worker keeps trying while the API answers 503");
        gateway.startStatus = 0;
        gateway.nextReadySession();
        eventually(() -> worker.state() == ConnectionState.ACTIVE, "active again");
        var retry = gateway.starts.get(1).request();
        assertEquals(java.util.List.of("group-a"), retry.getExcludeGatewaysList());
    }

    @Test
    void gatewayClosingOpensANewConnectionFirstThenClosesTheOldOneAndRepliesGoOverTheNewOne() throws Exception {
        apps.release = new CountDownLatch(1);
        connect(ConnectTestApp.worker(apps.dev(gateway)));
        var old = gateway.nextReadySession();
        old.send(GatewayMessageType.GATEWAY_EXECUTOR_REQUEST, request("r1", "slow"));
        old.next(GatewayMessageType.WORKER_REQUEST_ACK);
        old.send(GatewayMessageType.GATEWAY_CLOSING, null);

        var fresh = gateway.nextReadySession();
        assertEquals("GATEWAY_DRAINING", old.awaitClosedByWorker().getReason());
        apps.release.countDown();
        assertEquals("r1", SDKResponse.parseFrom(fresh.next(GatewayMessageType.WORKER_REPLY).getPayload()).getRequestId());
        assertEquals(ConnectionState.ACTIVE, worker.state());
    }

    @Test
    void aGatewayThatStopsAnsweringHeartbeatsIsLeftAndTheWorkerReconnects() throws Exception {
        gateway.ready = GatewayConnectionReadyData.newBuilder().setHeartbeatInterval("100ms").setExtendLeaseInterval("5s").build();
        connect(ConnectTestApp.worker(apps.dev(gateway)));
        var first = gateway.nextReadySession();
        first.next(GatewayMessageType.WORKER_HEARTBEAT);
        gateway.answerHeartbeats = false;
        assertEquals("CONSECUTIVE_HEARTBEATS_MISSED", first.awaitClosedByWorker().getReason());
        gateway.answerHeartbeats = true;
        var second = gateway.nextReadySession();
        second.next(GatewayMessageType.WORKER_HEARTBEAT);
        assertEquals(ConnectionState.ACTIVE, worker.state());
    }

    @Test
    void closeDrainsPausesFinishesInFlightDeliversTheReplyThenShutsDown() throws Exception {
        apps.release = new CountDownLatch(1);
        connect(ConnectTestApp.worker(apps.dev(gateway)));
        var session = gateway.nextReadySession();
        session.send(GatewayMessageType.GATEWAY_EXECUTOR_REQUEST, request("r1", "slow"));
        session.next(GatewayMessageType.WORKER_REQUEST_ACK);

        var closing = Thread.ofVirtual().start(worker::close);
        session.next(GatewayMessageType.WORKER_PAUSE);
        eventually(() -> worker.state() == ConnectionState.PAUSED, "paused while draining");
        session.send(GatewayMessageType.GATEWAY_EXECUTOR_REQUEST, request("r2", "charge"));
        Thread.sleep(200);
        assertTrue(closing.isAlive(), "close() waits for the request in flight");
        apps.release.countDown();
        var reply = SDKResponse.parseFrom(session.next(GatewayMessageType.WORKER_REPLY).getPayload());
        assertEquals("r1", reply.getRequestId());
        closing.join(FakeGateway.WAIT.toMillis());
        assertFalse(closing.isAlive());
        assertEquals("WORKER_SHUTDOWN", session.awaitClosedByWorker().getReason());
        assertEquals(ConnectionState.CLOSED, worker.state());
        assertEquals(1, count(session, GatewayMessageType.WORKER_REQUEST_ACK), "a request sent while draining is not taken: " + session.kinds());
        assertEquals(1, apps.stepRuns.get());
        assertTrue(gateway.flushed.isEmpty(), "the acked reply is not flushed again");
    }

    @Test
    void aRefusedSigningKeyFailsConnectWithOneClearLine() {
        gateway.startStatus = 401;
        worker = ConnectTestApp.worker(apps.cloud(gateway, ConnectTestApp.KEY, ConnectTestApp.FALLBACK)).build();
        var e = assertThrows(ConnectException.class, worker::connect);
        assertTrue(e.getMessage().contains("401") && e.getMessage().contains("INNGEST_SIGNING_KEY"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
        assertEquals(ConnectionState.CLOSED, worker.state());
        assertEquals(2, gateway.starts.size(), "the fallback key is tried once");
        assertNotEquals(gateway.starts.get(0).headers().get("Authorization"), gateway.starts.get(1).headers().get("Authorization"));
        assertEquals("Bearer " + new SigningKey(ConnectTestApp.FALLBACK).bearerToken(), gateway.starts.get(1).headers().get("Authorization"));
    }

    @Test
    void aMalformedFrameClosesThatConnectionWithAReasonAndTheWorkerReconnects() throws Exception {
        connect(ConnectTestApp.worker(apps.dev(gateway)));
        var first = gateway.nextReadySession();
        first.sendRaw(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff});
        var close = first.awaitClosedByWorker();
        assertEquals(4001, close.getCode());
        assertEquals("UNEXPECTED", close.getReason());
        var second = gateway.nextReadySession();
        second.send(GatewayMessageType.GATEWAY_EXECUTOR_REQUEST, request("r1", "charge"));
        assertEquals("r1", SDKResponse.parseFrom(second.next(GatewayMessageType.WORKER_REPLY).getPayload()).getRequestId());
    }

    @Test
    void theWorkerReportsItsStatusAtTheIntervalTheGatewayAsksFor() throws Exception {
        gateway.ready = GatewayConnectionReadyData.newBuilder().setHeartbeatInterval("10s").setExtendLeaseInterval("5s")
                .setStatusInterval("100ms").build();
        apps.release = new CountDownLatch(1);
        connect(ConnectTestApp.worker(apps.dev(gateway)));
        var session = gateway.nextReadySession();
        session.send(GatewayMessageType.GATEWAY_EXECUTOR_REQUEST, request("r1", "slow"));
        session.next(GatewayMessageType.WORKER_REQUEST_ACK);
        var status = WorkerStatusData.parseFrom(session.next(m -> {
            try {
                return m.getKind() == GatewayMessageType.WORKER_STATUS
                        && WorkerStatusData.parseFrom(m.getPayload()).getInFlightRequestIdsList().contains("r1");
            } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                throw new AssertionError(e);
            }
        }, "a WORKER_STATUS naming r1").getPayload());
        assertFalse(status.getShutdownRequested());
        apps.release.countDown();
        session.next(GatewayMessageType.WORKER_REPLY);
    }

    @Test
    void aFlushTheApiRefusesIsRetriedUntilItIsDelivered() throws Exception {
        connect(ConnectTestApp.worker(apps.dev(gateway)));
        var session = gateway.nextReadySession();
        gateway.ackReplies = false;
        gateway.flushStatus = 503;
        session.send(GatewayMessageType.GATEWAY_EXECUTOR_REQUEST, request("r1", "charge"));
        session.next(GatewayMessageType.WORKER_REPLY);
        eventually(() -> gateway.flushHeaders.size() >= 2, "the worker retries the refused flush");
        gateway.flushStatus = 0;
        assertEquals("r1", gateway.nextFlush().getRequestId());
    }

    @Test
    void cloudModeWithoutASigningKeyFailsConnectWithOneClearLineAndCallsNothing() {
        var app = dev.loomstep.Loomstep.builder(ConnectTestApp.APP)
                .config(dev.loomstep.Config.from(java.util.Map.of("INNGEST_API_BASE_URL", gateway.apiOrigin())))
                .functions(apps.charge).build();
        worker = ConnectTestApp.worker(app).build();
        var e = assertThrows(ConnectException.class, worker::connect);
        assertTrue(e.getMessage().contains("INNGEST_SIGNING_KEY"), e.getMessage());
        assertEquals(0, gateway.starts.size());
        assertEquals(ConnectionState.CLOSED, worker.state());
    }

    @Test
    void aRequestThatArrivesRightAfterConnectionReadyIsTakenNotLost() throws Exception {
        gateway.requestWithReady = request("r0", "charge");
        connect(ConnectTestApp.worker(apps.dev(gateway)));
        var session = gateway.nextSession();
        assertEquals("r0", WorkerRequestAckData.parseFrom(session.next(GatewayMessageType.WORKER_REQUEST_ACK).getPayload()).getRequestId());
        assertEquals("r0", SDKResponse.parseFrom(session.next(GatewayMessageType.WORKER_REPLY).getPayload()).getRequestId());
    }

    @Test
    void aMalformedFrameIsLoggedInOneLineAndNothingElseIsAffected() throws Exception {
        try (var log = LogCapture.attach("dev.loomstep.connect")) {
            connect(ConnectTestApp.worker(apps.dev(gateway)));
            var first = gateway.nextReadySession();
            first.sendRaw("not protobuf at all".getBytes(java.nio.charset.StandardCharsets.UTF_8));
            first.awaitClosedByWorker();
            gateway.nextReadySession();
            var lines = log.matching(l -> l.message().contains("malformed"));
            assertEquals(1, lines.size(), log.lines().toString());
            assertEquals("WARN", lines.get(0).level());
            assertFalse(lines.get(0).message().contains("\n"));
            assertTrue(log.at("ERROR").isEmpty(), log.lines().toString());
        }
    }

    @Test
    void anUnreachableApiIsNamedWithItsReasonInEachRetryLine() throws Exception {
        int closed;
        try (var socket = new java.net.ServerSocket(0)) {
            closed = socket.getLocalPort(); // nothing listens there once it is closed
        }
        var app = dev.loomstep.Loomstep.builder(ConnectTestApp.APP)
                .config(dev.loomstep.Config.from(java.util.Map.of("INNGEST_DEV", "http://127.0.0.1:" + closed)))
                .functions(apps.charge).build();
        try (var log = LogCapture.attach("dev.loomstep.connect")) {
            worker = ConnectTestApp.worker(app).connectTimeout(java.time.Duration.ofMillis(600)).build();
            assertThrows(ConnectException.class, worker::connect);
            var retries = log.matching(l -> l.message().startsWith("cannot connect app"));
            assertFalse(retries.isEmpty(), log.lines().toString());
            for (var line : retries) {
                assertTrue(line.message().contains("cannot reach the API at http://127.0.0.1:" + closed + "/v0/connect/start: "),
                        line.message());
                assertFalse(line.message().contains(": null"), line.message());
            }
        }
    }

    private static int count(FakeGateway.Session s, GatewayMessageType kind) {
        return (int) s.all.stream().map(ConnectMessage::getKind).filter(kind::equals).count();
    }

    /** An answer's ops without their timing. */
    private static JsonNode untimed(String body) throws Exception {
        JsonNode ops = Json.mapper().readTree(body);
        ops.forEach(op -> ((com.fasterxml.jackson.databind.node.ObjectNode) op).remove("timing"));
        return ops;
    }
}
