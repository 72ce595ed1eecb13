package dev.loomstep.connect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loomstep.connect.protocol.GatewayMessageType;
import dev.loomstep.connect.protocol.SDKResponse;
import dev.loomstep.testkit.ChildJvm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SIGTERM to a worker built with drainOnShutdown(): the step in flight finishes and replies before the socket closes. */
class DrainOnShutdownTest {
    @Test
    void sigtermFinishesTheRequestInFlightRepliesAndThenClosesWithWorkerShutdown(@TempDir Path dir) throws Exception {
        try (var gateway = new FakeGateway()) {
            Path log = dir.resolve("worker.log");
            var cmd = ChildJvm.java(List.of("-cp", System.getProperty("java.class.path")),
                    List.of(SigtermWorkerMain.class.getName(), gateway.apiOrigin()));
            try (var child = ChildJvm.start(cmd, Map.of(), log, SigtermWorkerMain.READY, Duration.ofSeconds(60))) {
                var session = gateway.nextReadySession();
                session.send(GatewayMessageType.GATEWAY_EXECUTOR_REQUEST, ConnectTestApp.request("r1", "slow"));
                session.next(GatewayMessageType.WORKER_REQUEST_ACK);

                assertTrue(ProcessHandle.of(child.pid()).orElseThrow().destroy(), "SIGTERM sent");
                session.next(GatewayMessageType.WORKER_PAUSE);
                var reply = SDKResponse.parseFrom(session.next(GatewayMessageType.WORKER_REPLY).getPayload());
                assertEquals("r1", reply.getRequestId());
                assertTrue(reply.getBody().toStringUtf8().contains("done"), reply.getBody().toStringUtf8());
                assertEquals("WORKER_SHUTDOWN", session.awaitClosedByWorker().getReason(), ChildJvm.tail(log, 20));
                var exited = ProcessHandle.of(child.pid()).map(h -> h.onExit()).orElse(null);
                if (exited != null) {
                    exited.get(30, TimeUnit.SECONDS);
                }
                assertTrue(Files.readString(log).contains("draining app \"billing\""), ChildJvm.tail(log, 20));
            }
        }
    }
}
