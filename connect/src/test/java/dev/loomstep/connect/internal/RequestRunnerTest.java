package dev.loomstep.connect.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.loomstep.connect.protocol.GatewayExecutorRequestData;
import dev.loomstep.connect.protocol.SDKResponse;
import dev.loomstep.connect.protocol.SDKResponseStatus;
import dev.loomstep.http.SdkResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The endpoint's HTTP answer as the gateway's SDKResponse. */
class RequestRunnerTest {
    private static final GatewayExecutorRequestData REQ = GatewayExecutorRequestData.newBuilder().setRequestId("r1")
            .setAccountId("acc").setEnvId("env").setAppId("app").setRunId("run").setSystemTraceCtx(ByteString.copyFromUtf8("s"))
            .setUserTraceCtx(ByteString.copyFromUtf8("u")).build();

    private static SDKResponse map(int status, Map<String, String> headers) {
        return RequestRunner.toSdkResponse(REQ, new SdkResponse(status, headers, "{\"x\":1}".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void statusesMapAsTheJsWorkerMapsThemAndEveryOtherFailureIsAnError() {
        assertEquals(SDKResponseStatus.DONE, map(200, Map.of()).getStatus());
        assertEquals(SDKResponseStatus.NOT_COMPLETED, map(206, Map.of()).getStatus());
        assertEquals(SDKResponseStatus.ERROR, map(500, Map.of()).getStatus());
        assertEquals(SDKResponseStatus.ERROR, map(400, Map.of()).getStatus(), "a broken call must not finish the run as DONE");
        assertEquals(SDKResponseStatus.ERROR, map(404, Map.of()).getStatus());
    }

    @Test
    void retryAdviceVersionBodyAndTheRequestsIdsAreCarriedOver() {
        SDKResponse r = map(500, Map.of("X-Inngest-No-Retry", "true", "Retry-After", "30", "X-Inngest-Req-Version", "1"));
        assertTrue(r.getNoRetry());
        assertEquals("30", r.getRetryAfter());
        assertEquals(1, r.getRequestVersion());
        assertEquals("{\"x\":1}", r.getBody().toStringUtf8());
        assertEquals("loomstep:v0.1.0", r.getSdkVersion());
        assertEquals("r1", r.getRequestId());
        assertEquals("acc", r.getAccountId());
        assertEquals("env", r.getEnvId());
        assertEquals("app", r.getAppId());
        assertEquals("run", r.getRunId());
        assertEquals("s", r.getSystemTraceCtx().toStringUtf8());
        assertEquals("u", r.getUserTraceCtx().toStringUtf8());

        SDKResponse plain = map(200, Map.of());
        assertFalse(plain.getNoRetry());
        assertFalse(plain.hasRetryAfter());
    }
}
