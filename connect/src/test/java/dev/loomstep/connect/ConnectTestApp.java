package dev.loomstep.connect;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.ByteString;
import dev.loomstep.Config;
import dev.loomstep.Function;
import dev.loomstep.Loomstep;
import dev.loomstep.Trigger;
import dev.loomstep.connect.protocol.GatewayExecutorRequestData;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/** The app the worker's tests serve: a quick function with one step, and a slow one. */
final class ConnectTestApp {
    static final String APP = "billing";
    static final String KEY = "signkey-test-8ee2262a15e8d3c42d6a840db7af3de2aab08ef632b32a37a687f24b34dba3ff";
    static final String FALLBACK = "signkey-test-00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    /** The first call of a run: no step memoized yet. */
    static final String DISCOVER = """
            {"event":{"id":"evt-1","name":"billing/charge","data":{"user":"ada"},"ts":1700000000000},\
            "events":[{"id":"evt-1","name":"billing/charge","data":{"user":"ada"},"ts":1700000000000}],"steps":{},\
            "ctx":{"run_id":"01RUN","attempt":0,"fn_id":"fn-1","disable_immediate_execution":false,"use_api":false,\
            "stack":{"stack":[],"current":0}},"version":1}""";

    final AtomicInteger stepRuns = new AtomicInteger();
    /** The slow step waits for this (with a deadline), so a test decides when it finishes. */
    volatile CountDownLatch release = new CountDownLatch(0);

    final Function<JsonNode, Object> charge = Function.builder("charge").trigger(Trigger.event("billing/charge"))
            .handler((input, step) -> {
                int a = step.run("a", Integer.class, () -> {
                    stepRuns.incrementAndGet();
                    return 1;
                });
                return Map.of("a", a);
            });

    final Function<JsonNode, Object> slow = Function.builder("slow").trigger(Trigger.event("billing/slow"))
            .handler((input, step) -> step.run("wait", String.class, () -> {
                stepRuns.incrementAndGet();
                release.await(30, java.util.concurrent.TimeUnit.SECONDS);
                return "done";
            }));

    Loomstep dev(FakeGateway gateway) {
        return Loomstep.builder(APP).config(Config.from(Map.of("INNGEST_DEV", gateway.apiOrigin()))).functions(charge, slow).build();
    }

    Loomstep cloud(FakeGateway gateway, String key, String fallback) {
        var env = new HashMap<String, String>();
        env.put("INNGEST_API_BASE_URL", gateway.apiOrigin());
        env.put("INNGEST_EVENT_API_BASE_URL", "http://127.0.0.1:1");
        env.put("INNGEST_SIGNING_KEY", key);
        if (fallback != null) {
            env.put("INNGEST_SIGNING_KEY_FALLBACK", fallback);
        }
        env.put("INNGEST_ENV", "staging");
        return Loomstep.builder(APP).config(Config.from(env)).functions(charge, slow).build();
    }

    static GatewayExecutorRequestData request(String id, String function) {
        return GatewayExecutorRequestData.newBuilder().setRequestId(id).setAccountId("acc").setEnvId("env").setAppId("app-uuid")
                .setAppName(APP).setFunctionId("fn-uuid").setFunctionSlug(APP + "-" + function).setStepId("step")
                .setRequestPayload(ByteString.copyFromUtf8(DISCOVER)).setRunId("01RUN").setLeaseId("lease-" + id).setJobId("job-" + id)
                .setUserTraceCtx(ByteString.copyFromUtf8("{}")).build();
    }

    /** A worker with short timings, so that the tests' reconnects and acks take milliseconds. */
    static LoomstepConnect.Builder worker(Loomstep app) {
        return LoomstepConnect.builder(app).instanceId("billing-1").connectTimeout(Duration.ofSeconds(20))
                .handshakeTimeout(Duration.ofSeconds(5)).reconnectBackoff(Duration.ofMillis(50), Duration.ofMillis(400))
                .replyAckTimeout(Duration.ofMillis(500));
    }
}
