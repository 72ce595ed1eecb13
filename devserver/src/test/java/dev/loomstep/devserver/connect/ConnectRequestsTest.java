package dev.loomstep.devserver.connect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import com.google.protobuf.ByteString;
import dev.loomstep.connect.protocol.SDKResponse;
import dev.loomstep.connect.protocol.SDKResponseStatus;
import dev.loomstep.devserver.executor.SdkAnswer;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ConnectRequestsTest {

    private static SDKResponse.Builder reply(SDKResponseStatus status, String body) {
        return SDKResponse.newBuilder().setRequestId("r").setStatus(status).setBody(ByteString.copyFromUtf8(body)).setRequestVersion(2);
    }

    @Test
    void doneIsTheRunsOutputWithTheWorkersRequestVersion() {
        var r = ConnectRequests.reply(reply(SDKResponseStatus.DONE, "{\"ok\":1}").build());

        assertEquals(1, assertInstanceOf(SdkAnswer.Done.class, r.answer()).output().get("ok").asInt());
        assertEquals(2, r.requestVersion());
    }

    @Test
    void notCompletedCarriesOps() {
        var r = ConnectRequests.reply(reply(SDKResponseStatus.NOT_COMPLETED, "[{\"op\":\"Step\",\"id\":\"a\",\"data\":1}]").build());

        assertEquals(1, assertInstanceOf(SdkAnswer.Ops.class, r.answer()).ops().size());
    }

    @Test
    void anErrorIsRetriedUnlessTheWorkerSaysNoRetry() {
        assertInstanceOf(SdkAnswer.Retry.class, ConnectRequests.reply(reply(SDKResponseStatus.ERROR, "{\"message\":\"x\"}").build()).answer());
        assertInstanceOf(SdkAnswer.Failed.class,
                ConnectRequests.reply(reply(SDKResponseStatus.ERROR, "{\"message\":\"x\"}").setNoRetry(true).build()).answer());
    }

    @Test
    void doneWithNoRetryIsARejectedFunctionAsTheJsWorkerSendsIt() {
        var r = ConnectRequests.reply(reply(SDKResponseStatus.DONE, "{\"name\":\"NonRetriableError\",\"message\":\"no way\"}").setNoRetry(true).build());

        assertEquals("no way", assertInstanceOf(SdkAnswer.Failed.class, r.answer()).error().message());
    }

    @Test
    void retryAfterIsKept() {
        var r = ConnectRequests.reply(reply(SDKResponseStatus.ERROR, "{\"message\":\"x\"}").setRetryAfter("30").build());

        assertEquals(Duration.ofSeconds(30), assertInstanceOf(SdkAnswer.Retry.class, r.answer()).retryAfter());
    }

    @Test
    void gatewayDurationsAreWrittenAsInngestWritesThem() {
        assertEquals("10s", ConnectGateway.goDuration(Duration.ofSeconds(10)));
        assertEquals("1500ms", ConnectGateway.goDuration(Duration.ofMillis(1500)));
    }
}
