package dev.loomstep.devserver;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * Per test: a fresh in-memory devserver on a free port (retry backoff shrunk a thousandfold), a
 * scripted SDK endpoint ({@link FakeSdk}) and a client for the devserver's HTTP API.
 */
abstract class ScriptedDevServerTest {
    DevServer dev;
    FakeSdk sdk;
    Api api;

    @BeforeEach
    void startDevServer() throws Exception {
        dev = DevServer.builder().port(0).inMemory().retryDelayScale(0.001).start();
        sdk = new FakeSdk("app");
        api = new Api(dev);
    }

    @AfterEach
    void stopDevServer() {
        sdk.close();
        dev.close();
    }
}
