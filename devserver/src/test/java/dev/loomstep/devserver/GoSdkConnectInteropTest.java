package dev.loomstep.devserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.testkit.GoPeer;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * The official Go SDK's Connect worker ({@code inngestgo.Connect}, v0.16.0, {@code testkit/go-peer
 * --connect}) serving app {@code goconn} to the devserver's Connect gateway: no HTTP endpoint, the worker
 * asks {@code POST /v0/connect/start} for its gateway and the devserver runs its functions through it.
 */
@Timeout(60)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GoSdkConnectInteropTest {
    DevServer dev;
    GoPeer worker;
    Api api;

    @BeforeAll
    void start() {
        GoPeer.assumeAvailable();
        dev = DevServer.builder().port(0).connectPort(0).inMemory().retryDelayScale(0.001).start();
        api = new Api(dev);
        worker = GoPeer.startConnect(dev.url(), "go-worker-1");
    }

    @AfterAll
    void stop() {
        if (worker != null) {
            worker.close();
        }
        if (dev != null) {
            dev.close();
        }
    }

    @Test
    void theWorkersAppIsSyncedAsAConnectAppWithItsConnection() {
        JsonNode app = Api.await(() -> api.get("/v1/apps").get("data"), d -> d.size() == 1 && d.get(0).get("connections").size() == 1
                && d.get(0).get("connections").get(0).get("status").asText().equals("READY"), "the goconn app with a ready connection").get(0);

        assertEquals("goconn", app.get("id").asText(), app.toString());
        assertEquals("connect", app.get("connection_type").asText());
        assertEquals(4, app.get("function_count").asInt(), app.toString());
        JsonNode c = app.get("connections").get(0);
        assertEquals("go-worker-1", c.get("instance_id").asText(), c.toString());
        assertTrue(c.get("sdk").asText().contains("go"), c.toString());
    }

    @Test
    void theWorkerRunsStepsAndASleepThroughTheGateway() {
        JsonNode run = api.awaitStatus(api.runOf(api.send("goconn/steps", Map.of())), "Completed");

        assertEquals(3, run.get("output").get("sum").asInt(), run.toString());
        assertEquals(3, run.get("steps").size(), run.toString());
        assertEquals("nap", run.get("steps").get(1).get("name").asText(), run.toString());
    }

    @Test
    void theWorkerInvokesAnotherFunctionOfItsApp() {
        JsonNode run = api.awaitStatus(api.runOf(api.send("goconn/invoke", Map.of())), "Completed");

        assertEquals(8, run.get("output").get("result").get("doubled").asInt(), run.toString());
    }

    @Test
    void theWorkersStepErrorIsRetriedUntilTheStepSucceeds() {
        JsonNode run = api.awaitStatus(api.runOf(api.send("goconn/flaky", Map.of())), "Completed");

        assertEquals(1, run.get("output").get("attempt").asInt(), run.toString());
        assertEquals(2, run.get("steps").get(0).get("attempts").asInt(), run.toString());
    }
}
