package dev.loomstep.devserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.testkit.JsPeer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A devserver started with a signing key and the official JS SDK 4.24 checkpointing against it: the
 * bearer JS sends with the same key is accepted; with another key every checkpoint is refused (401),
 * and JS falls back to answering the call with the steps it ran, so the run completes all the same.
 */
@Timeout(60)
class JsSdkSignedCheckpointTest {
    static final String KEY = "signkey-test-12ab34cd56ef78ab90cd12ef34ab56cd78ef90ab12cd34ef56ab78cd90ef12ab";
    static final String OTHER_KEY = "signkey-test-ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";

    DevServer dev;
    JsPeer peer;

    @AfterEach
    void stop() {
        if (peer != null) {
            peer.close();
        }
        if (dev != null) {
            dev.close();
        }
    }

    @Test
    void aJsAppHoldingTheDevserversSigningKeyCheckpointsWithItsBearer() throws Exception {
        Api api = start(KEY);

        JsonNode run = api.awaitStatus(api.runOf(api.send("peer/seq", Map.of())), "Completed");

        assertEquals(6, run.get("output").get("sum").asInt(), run.toString());
        JsonNode stats = api.get("/dev").get("checkpoints");
        assertEquals(3, stats.get("committed_steps").asInt(), stats.toString());
        assertEquals(0, stats.get("refused").asInt(), stats.toString());
    }

    @Test
    void aJsAppWithAnotherSigningKeyIsRefusedAndAnswersTheCallInstead() throws Exception {
        Api api = start(OTHER_KEY);

        JsonNode run = api.awaitStatus(api.runOf(api.send("peer/seq", Map.of())), "Completed");

        assertEquals(6, run.get("output").get("sum").asInt(), run.toString());
        assertEquals(List.of("a", "b", "nap", "a"), run.get("steps").findValuesAsText("name"), run.toString());
        JsonNode stats = api.get("/dev").get("checkpoints");
        assertEquals(0, stats.get("accepted").asInt(), stats.toString());
        assertTrue(stats.get("refused").asInt() > 0, stats.toString());
    }

    private Api start(String peerKey) throws Exception {
        // The devserver first, on a port of its own: a port picked free and bound later may be taken meanwhile.
        dev = DevServer.builder().port(0).inMemory().retryDelayScale(0.001).signingKey(KEY).start();
        String origin = dev.url().endsWith("/") ? dev.url().substring(0, dev.url().length() - 1) : dev.url();
        peer = JsPeer.start(Map.of("INNGEST_API_BASE_URL", origin, "INNGEST_EVENT_API_BASE_URL", origin,
                "INNGEST_SIGNING_KEY", peerKey));
        Api api = new Api(dev);
        JsPeer.Response synced = peer.put(null, Map.of());
        assertEquals(200, synced.status(), synced.toString());
        Api.await(() -> api.get("/v1/functions").get("data"), d -> d.findValuesAsText("id").contains("peer-seq"), "the JS app synced");
        return api;
    }
}
