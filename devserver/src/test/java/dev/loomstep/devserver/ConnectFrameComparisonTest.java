package dev.loomstep.devserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.loomstep.connect.protocol.GatewayExecutorRequestData;
import dev.loomstep.connect.protocol.GatewayMessageType;
import dev.loomstep.connect.protocol.SDKResponse;
import dev.loomstep.connect.protocol.WorkerConnectRequestData;
import dev.loomstep.connect.protocol.WorkerReplyAckData;
import dev.loomstep.connect.protocol.WorkerRequestAckData;
import dev.loomstep.connect.protocol.WorkerRequestExtendLeaseData;
import dev.loomstep.devserver.RecordingConnectProxy.Frame;
import dev.loomstep.protocol.Json;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * The same gateway (the devserver's, behind a {@link RecordingConnectProxy}) talking to the official JS
 * SDK 4.24's worker and to Loomstep's worker for the same scenario — connect, a run of steps and a
 * sleep, a step that throws a non-retriable error, a step that outlives its lease extension interval,
 * heartbeats, then a drain — and what each worker sends, compared frame by frame. The differences that
 * are allowed are listed in each assertion: the SDK's name, version, framework and machine, the
 * functions' SDK-specific fields, and the status a non-retriable failure travels with (both mean "fail
 * now" to Inngest's executor, which reads {@code no_retry} whatever the status).
 */
@Timeout(180)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConnectFrameComparisonTest {
    static final int MAX_CONCURRENCY = 5;
    static final long SLOW_MS = 2500; // beyond the FAST settings' 1 s lease extension interval

    Recording js;
    Recording loomstep;

    /** What one worker sent and got, and the runs it served. */
    record Recording(List<Frame> frames, List<RecordingConnectProxy.Close> closes, JsonNode steps, JsonNode doomed, JsonNode slow) {
        List<Frame> fromWorker() {
            return frames.stream().filter(Frame::fromWorker).toList();
        }

        List<Frame> from(boolean worker, GatewayMessageType kind) {
            return frames.stream().filter(f -> f.fromWorker() == worker && f.kind() == kind).toList();
        }
    }

    @BeforeAll
    void recordBothWorkers() throws Exception {
        js = record(true);
        loomstep = record(false);
    }

    private Recording record(boolean useJs) throws Exception {
        try (var dev = JsPeerDevServer.forConnect(b -> b.connectSettings(JsSdkConnectFaultsTest.FAST));
             var proxy = new RecordingConnectProxy(dev.dev)) {
            JsConnectWorker jsWorker = null;
            LoomstepConnectWorker lsWorker = null;
            try {
                if (useJs) {
                    jsWorker = dev.connectWorker("compared", Map.of("PEER_CHECKPOINTING", "off", "SLOW_MS", Long.toString(SLOW_MS),
                            "MAX_CONCURRENCY", Integer.toString(MAX_CONCURRENCY), "INNGEST_CONNECT_GATEWAY_URL", proxy.url().toString()));
                } else {
                    lsWorker = LoomstepConnectWorker.start(dev.dev, "compared", false,
                            b -> b.gatewayUrl(proxy.url()).maxConcurrency(MAX_CONCURRENCY));
                    lsWorker.slowMillis = SLOW_MS;
                }
                Api api = dev.api;
                JsonNode steps = api.awaitStatus(api.runOf(api.send("conn/steps", Map.of("n", 7))), "Completed");
                JsonNode doomed = api.awaitStatus(api.runOf(api.send("conn/doomed", Map.of())), "Failed");
                JsonNode slow = api.awaitStatus(api.runOf(api.send("conn/slow", Map.of())), "Completed");
                Api.await(() -> proxy.frames().stream().filter(f -> f.kind() == GatewayMessageType.GATEWAY_HEARTBEAT).count(),
                        n -> n >= 2, "two heartbeats answered");
                if (useJs) {
                    jsWorker.terminate();
                } else {
                    lsWorker.close();
                }
                Api.await(() -> proxy.frames().stream().anyMatch(f -> f.kind() == GatewayMessageType.WORKER_PAUSE),
                        n -> n, "the drain's WORKER_PAUSE");
                Api.await(proxy::closes, c -> c.stream().anyMatch(RecordingConnectProxy.Close::fromWorker), "the worker's close");
                return new Recording(proxy.frames(), proxy.closes(), steps, doomed, slow);
            } finally {
                if (jsWorker != null) {
                    jsWorker.kill();
                }
                if (lsWorker != null) {
                    lsWorker.close();
                }
            }
        }
    }

    private static <T> T parse(Frame f, com.google.protobuf.Parser<T> parser) {
        try {
            return parser.parseFrom(f.message().getPayload());
        } catch (InvalidProtocolBufferException e) {
            throw new AssertionError("a " + f.kind() + " that does not parse", e);
        }
    }

    private static WorkerConnectRequestData connectOf(Recording r) {
        List<Frame> connects = r.from(true, GatewayMessageType.WORKER_CONNECT);
        assertEquals(1, connects.size(), "one WORKER_CONNECT: no reconnect in the scenario");
        return parse(connects.get(0), WorkerConnectRequestData.parser());
    }

    @Test
    void bothWorkersServeTheScenarioAlike() {
        for (var r : List.of(js, loomstep)) {
            assertEquals(21, r.steps().get("output").get("sum").asInt(), r.steps().toString());
            assertTrue(r.doomed().toString().contains("no way"), r.doomed().toString());
            assertEquals("two from compared", r.slow().get("output").get("second").asText(), r.slow().toString());
            assertEquals(1, r.slow().get("steps").get(1).get("attempts").asInt(), "the lease was extended, not lost: " + r.slow());
            assertTrue(r.frames().stream().allMatch(f -> f.socket() == 1), "one socket each, no reconnect");
        }
    }

    /**
     * WORKER_CONNECT: equal but for the connection's own ids and tokens, the SDK (language, version, start
     * time), the machine (system attributes), and JS's feature observations; the functions' configurations
     * equal as JSON, including each step's {@code ws} runtime URL.
     */
    @Test
    void workerConnectDiffersOnlyInTheSdkTheMachineAndTheSessionsIds() throws Exception {
        WorkerConnectRequestData j = connectOf(js);
        WorkerConnectRequestData l = connectOf(loomstep);

        assertEquals("typescript", j.getSdkLanguage());
        assertTrue(j.getSdkVersion().startsWith("v4.24."), j.getSdkVersion());
        assertEquals("java", l.getSdkLanguage());
        assertEquals("v" + dev.loomstep.Loomstep.VERSION, l.getSdkVersion());
        assertEquals(MAX_CONCURRENCY, l.getMaxWorkerConcurrency());
        assertTrue(j.getStartedAt().getSeconds() > 0 && l.getStartedAt().getSeconds() > 0, "both say when they started");
        assertTrue(l.getSystemAttributes().getCpuCores() > 0 && l.getSystemAttributes().getMemBytes() > 0
                && !l.getSystemAttributes().getOs().isEmpty(), l.getSystemAttributes().toString());
        assertEquals(Json.mapper().readTree(j.getApps(0).getFunctions().toByteArray()),
                Json.mapper().readTree(l.getApps(0).getFunctions().toByteArray()), "the same function configurations");
        assertEquals(Json.mapper().readTree(j.getCapabilities().toByteArray()), Json.mapper().readTree(l.getCapabilities().toByteArray()));

        assertEquals(comparable(j), comparable(l));
    }

    /** A WORKER_CONNECT without what may differ (see above); functions and capabilities are compared as JSON. */
    private static WorkerConnectRequestData comparable(WorkerConnectRequestData c) {
        var b = c.toBuilder().clearConnectionId().clearAuthData().clearSdkLanguage().clearSdkVersion().clearStartedAt()
                .clearSystemAttributes().clearCapabilities();
        for (int i = 0; i < b.getAppsCount(); i++) {
            b.setApps(i, b.getApps(i).toBuilder().clearFeatureObservations().clearFunctions());
        }
        assertFalse(c.getConnectionId().isEmpty() || c.getAuthData().getSessionToken().isEmpty(), "the start call's ids are sent back");
        return b.build();
    }

    /** What a worker sends, heartbeats, status reports and lease extensions aside (timers: their number depends on timing). */
    private static List<GatewayMessageType> kindsSent(Recording r) {
        return r.fromWorker().stream().map(Frame::kind)
                .filter(k -> k != GatewayMessageType.WORKER_HEARTBEAT && k != GatewayMessageType.WORKER_REQUEST_EXTEND_LEASE
                        && k != GatewayMessageType.WORKER_STATUS).toList();
    }

    @Test
    void bothWorkersSendTheSameKindsOfFrameInTheSameOrder() {
        List<GatewayMessageType> j = kindsSent(js);
        assertEquals(GatewayMessageType.WORKER_CONNECT, j.get(0));
        assertEquals(GatewayMessageType.WORKER_READY, j.get(1));
        assertEquals(GatewayMessageType.WORKER_PAUSE, j.get(j.size() - 1), "a drain ends with WORKER_PAUSE");

        assertEquals(j, kindsSent(loomstep));
    }

    @Test
    void everyRequestIsAckedWithItsIdsAndRepliedToOnceWithThem() {
        for (var r : List.of(js, loomstep)) {
            List<Frame> requests = r.from(false, GatewayMessageType.GATEWAY_EXECUTOR_REQUEST);
            assertEquals(9, requests.size(), "4 calls of steps (the sleep is no call), 2 of doomed, 3 of slow");
            for (Frame f : requests) {
                var req = parse(f, GatewayExecutorRequestData.parser());
                int at = r.frames().indexOf(f);
                List<Frame> after = r.frames().subList(at + 1, r.frames().size());
                int ackAt = -1;
                int replyAt = -1;
                int replies = 0;
                for (int i = 0; i < after.size(); i++) {
                    Frame g = after.get(i);
                    if (g.kind() == GatewayMessageType.WORKER_REQUEST_ACK && parse(g, WorkerRequestAckData.parser()).getRequestId().equals(req.getRequestId())) {
                        var ack = parse(g, WorkerRequestAckData.parser());
                        ackAt = ackAt < 0 ? i : ackAt;
                        assertEquals(List.of(req.getAccountId(), req.getEnvId(), req.getAppId(), req.getFunctionSlug(), req.getStepId(), req.getRunId()),
                                List.of(ack.getAccountId(), ack.getEnvId(), ack.getAppId(), ack.getFunctionSlug(), ack.getStepId(), ack.getRunId()));
                    }
                    if (g.kind() == GatewayMessageType.WORKER_REPLY && parse(g, SDKResponse.parser()).getRequestId().equals(req.getRequestId())) {
                        var reply = parse(g, SDKResponse.parser());
                        replyAt = replyAt < 0 ? i : replyAt;
                        replies++;
                        assertEquals(List.of(req.getAccountId(), req.getEnvId(), req.getAppId(), req.getRunId()),
                                List.of(reply.getAccountId(), reply.getEnvId(), reply.getAppId(), reply.getRunId()));
                    }
                }
                assertTrue(ackAt >= 0 && replyAt > ackAt, "acked, then replied: " + req.getRequestId());
                assertEquals(1, replies, "one reply per request");
                assertTrue(after.stream().anyMatch(g -> g.kind() == GatewayMessageType.WORKER_REPLY_ACK
                        && parse(g, WorkerReplyAckData.parser()).getRequestId().equals(req.getRequestId())), "the gateway acked the reply");
            }
        }
    }

    /** A reply as the executor reads it: its function, status and retry verdict. */
    private static List<String> replies(Recording r) {
        var slugs = new LinkedHashMap<String, String>();
        r.from(false, GatewayMessageType.GATEWAY_EXECUTOR_REQUEST).forEach(f -> {
            var req = parse(f, GatewayExecutorRequestData.parser());
            slugs.put(req.getRequestId(), req.getFunctionSlug());
        });
        var out = new ArrayList<String>();
        for (Frame f : r.from(true, GatewayMessageType.WORKER_REPLY)) {
            var reply = parse(f, SDKResponse.parser());
            // The one allowed difference: JS sends a function's non-retriable failure as DONE + no_retry (its 400),
            // Loomstep as ERROR + no_retry (every non-2xx is ERROR); Inngest's executor fails the run at once for both,
            // because it turns no_retry into a NonRetriableError whatever the status (and so does the devserver).
            String status = reply.getNoRetry() && reply.getStatus() != dev.loomstep.connect.protocol.SDKResponseStatus.NOT_COMPLETED
                    ? "FAIL_NOW" : reply.getStatus() + (reply.getNoRetry() ? "+no_retry" : "");
            out.add(slugs.get(reply.getRequestId()) + " " + status + (reply.hasRetryAfter() ? " retry_after" : ""));
        }
        return out;
    }

    @Test
    void repliesHaveTheSameStatusesAndVerdictsOnlyANonRetriableFailureTravelsDifferently() {
        assertEquals(replies(js), replies(loomstep));
        assertTrue(replies(js).contains("conn-doomed FAIL_NOW"), replies(js).toString());

        SDKResponse jsDoomed = lastReplyOf(js, "conn-doomed");
        SDKResponse lsDoomed = lastReplyOf(loomstep, "conn-doomed");
        assertEquals(dev.loomstep.connect.protocol.SDKResponseStatus.DONE, jsDoomed.getStatus());
        assertEquals(dev.loomstep.connect.protocol.SDKResponseStatus.ERROR, lsDoomed.getStatus());
        assertTrue(jsDoomed.getNoRetry() && lsDoomed.getNoRetry());
    }

    @Test
    void eachWorkerSignsItsRepliesWithItsSdkAndTheExecutionVersionItsHttpAnswersCarry() {
        for (Frame f : js.from(true, GatewayMessageType.WORKER_REPLY)) {
            var reply = parse(f, SDKResponse.parser());
            assertTrue(reply.getSdkVersion().startsWith("inngest-js:v4.24."), reply.getSdkVersion());
            assertEquals(2, reply.getRequestVersion(), "JS 4.24 answers with execution version 2");
        }
        for (Frame f : loomstep.from(true, GatewayMessageType.WORKER_REPLY)) {
            var reply = parse(f, SDKResponse.parser());
            assertEquals(dev.loomstep.Loomstep.SDK_HEADER, reply.getSdkVersion());
            assertEquals(Integer.parseInt(dev.loomstep.http.SdkEndpoint.REQ_VERSION), reply.getRequestVersion(),
                    "Loomstep's X-Inngest-Req-Version over HTTP");
        }
    }

    private static SDKResponse lastReplyOf(Recording r, String slug) {
        List<String> ids = r.from(false, GatewayMessageType.GATEWAY_EXECUTOR_REQUEST).stream()
                .map(f -> parse(f, GatewayExecutorRequestData.parser())).filter(q -> q.getFunctionSlug().equals(slug))
                .map(GatewayExecutorRequestData::getRequestId).toList();
        return r.from(true, GatewayMessageType.WORKER_REPLY).stream().map(f -> parse(f, SDKResponse.parser()))
                .filter(x -> ids.contains(x.getRequestId())).reduce((a, b) -> b).orElseThrow();
    }

    @Test
    void bothExtendTheSlowStepsLeaseWithTheNewestLeaseId() {
        for (var r : List.of(js, loomstep)) {
            List<Frame> extends_ = r.from(true, GatewayMessageType.WORKER_REQUEST_EXTEND_LEASE);
            assertTrue(extends_.size() >= 1, "a 2.5 s step with a 1 s extension interval is extended");
            String requestId = parse(extends_.get(0), WorkerRequestExtendLeaseData.parser()).getRequestId();
            var req = r.from(false, GatewayMessageType.GATEWAY_EXECUTOR_REQUEST).stream().map(f -> parse(f, GatewayExecutorRequestData.parser()))
                    .filter(q -> q.getRequestId().equals(requestId)).findFirst().orElseThrow();
            assertEquals("conn-slow", req.getFunctionSlug());
            var acks = r.from(false, GatewayMessageType.WORKER_REQUEST_EXTEND_LEASE_ACK).stream()
                    .map(f -> parse(f, dev.loomstep.connect.protocol.WorkerRequestExtendLeaseAckData.parser())).toList();
            String expected = req.getLeaseId();
            for (int i = 0; i < extends_.size(); i++) {
                var ext = parse(extends_.get(i), WorkerRequestExtendLeaseData.parser());
                assertEquals(expected, ext.getLeaseId(), "extension " + i + " names the newest lease");
                assertEquals(List.of(req.getFunctionSlug(), req.getRunId(), req.getAppId()), List.of(ext.getFunctionSlug(), ext.getRunId(), ext.getAppId()));
                expected = acks.get(i).getNewLeaseId();
            }
        }
    }

    @Test
    void bothSendHeartbeatsAndTheGatewayAnswersEach() {
        for (var r : List.of(js, loomstep)) {
            long sent = r.from(true, GatewayMessageType.WORKER_HEARTBEAT).size();
            long answered = r.from(false, GatewayMessageType.GATEWAY_HEARTBEAT).size();
            assertTrue(sent >= 2, "heartbeats every second: " + sent);
            assertTrue(answered >= sent - 1 && answered <= sent, sent + " sent, " + answered + " answered");
        }
    }

    /** A drain: WORKER_PAUSE last, then a normal close; the reason differs (JS none, Loomstep WORKER_SHUTDOWN as inngestgo). */
    @Test
    void bothDrainWithAPauseThenANormalClose() {
        var jsClose = js.closes().stream().filter(RecordingConnectProxy.Close::fromWorker).findFirst().orElseThrow();
        var lsClose = loomstep.closes().stream().filter(RecordingConnectProxy.Close::fromWorker).findFirst().orElseThrow();

        assertEquals(1000, jsClose.code());
        assertEquals(1000, lsClose.code());
        assertEquals("WORKER_SHUTDOWN", lsClose.reason());
        for (var r : List.of(js, loomstep)) {
            List<Frame> sent = r.fromWorker();
            assertEquals(GatewayMessageType.WORKER_PAUSE, sent.get(sent.size() - 1).kind());
        }
    }
}
