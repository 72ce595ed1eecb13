package dev.loomstep.connect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GatewayUrlTest {

    @Test
    void theBuildersUrlWinsOverTheEnvironment() {
        var configured = URI.create("ws://proxy:9000/v0/connect");
        assertEquals(configured, LoomstepConnect.gatewayUrl(configured,
                Map.of("INNGEST_CONNECT_GATEWAY_URL", "ws://other:1/v0/connect")));
    }

    @Test
    void withoutOneTheEnvironmentVariableIsUsedAsTheJsSdkDoes() {
        assertEquals(URI.create("wss://gw.example.com/v0/connect"), LoomstepConnect.gatewayUrl(null,
                Map.of("INNGEST_CONNECT_GATEWAY_URL", " wss://gw.example.com/v0/connect ")));
    }

    @Test
    void neitherMeansTheEndpointTheStartCallAnswers() {
        assertNull(LoomstepConnect.gatewayUrl(null, Map.of()));
        assertNull(LoomstepConnect.gatewayUrl(null, Map.of("INNGEST_CONNECT_GATEWAY_URL", " ")));
    }

    @Test
    void aValueThatIsNotAWebSocketUrlIsRefusedWithItsName() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> LoomstepConnect.gatewayUrl(null, Map.of("INNGEST_CONNECT_GATEWAY_URL", "http://gw:8289")));
        assertTrue(e.getMessage().contains("INNGEST_CONNECT_GATEWAY_URL") && e.getMessage().contains("http://gw:8289"), e.getMessage());
    }
}
