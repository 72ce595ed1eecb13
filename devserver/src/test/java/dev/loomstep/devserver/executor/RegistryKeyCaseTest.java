package dev.loomstep.devserver.executor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.loomstep.flow.Singleton;
import dev.loomstep.protocol.Json;
import dev.loomstep.protocol.SyncRequest.FunctionConfig;
import org.junit.jupiter.api.Test;

/**
 * Function configs are read as Inngest reads them (Go's encoding/json): keys match in any case. inngestgo 0.16
 * syncs its singleton option as {@code "Singleton"}.
 */
class RegistryKeyCaseTest {

    private static FunctionConfig synced(String options) throws Exception {
        String body = """
                {"appName": "go", "url": "http://127.0.0.1:1/api/inngest", "functions": [{
                  "id": "go-one", "name": "one", "triggers": [{"event": "go/one"}], %s
                  "steps": {"step": {"id": "step", "name": "one",
                    "runtime": {"type": "http", "url": "http://127.0.0.1:1/api/inngest?fnId=go-one&step=step"}}}}]}
                """.formatted(options);
        return Registry.parseSync(Json.mapper().readTree(body), 0).functions().get(0).config();
    }

    @Test
    void inngestgosCapitalisedSingletonIsReadAsTheSingletonOption() throws Exception {
        FunctionConfig config = synced("\"Singleton\": {\"key\": \"event.data.user\", \"mode\": \"skip\"},");

        assertEquals(new Singleton("event.data.user", Singleton.Mode.skip), config.singleton());
    }

    @Test
    void aNullCapitalisedSingletonAsInngestgoSendsForEveryOtherFunctionIsNoSingleton() throws Exception {
        FunctionConfig config = synced("\"Singleton\": null, \"RateLimit\": {\"limit\": 1, \"period\": \"1m\"},");

        assertNull(config.singleton());
        assertEquals(1, config.rateLimit().limit(), "any key in any case, as Go's encoding/json: " + config);
    }
}
