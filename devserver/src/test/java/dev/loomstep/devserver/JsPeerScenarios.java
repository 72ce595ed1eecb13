package dev.loomstep.devserver;

import dev.loomstep.testkit.JsPeer;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.TestInstance;

/**
 * What the JS SDK interop tests share around their scenarios: the official JS SDK peer against an
 * in-memory devserver ({@link JsPeerDevServer}), started once per test class by {@link #startJs} from
 * the test's {@code @BeforeAll}, stopped after its last test, and the fields the scenarios use. A test
 * whose scenarios run with the SDK's checkpointing on and off extends it once per setting (its
 * {@code @Nested} classes).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class JsPeerScenarios {
    /** The JS app's checkpointing ({@code PEER_CHECKPOINTING}); null for the SDK's default. */
    final Boolean checkpointing;
    JsPeerDevServer js;
    DevServer dev;
    JsPeer peer;
    Api api;

    JsPeerScenarios(Boolean checkpointing) {
        this.checkpointing = checkpointing;
    }

    /** Starts the peer and its devserver with this class's checkpointing; the arguments are {@link JsPeerDevServer#start}'s. */
    void startJs(Map<String, String> env, boolean withPeerApp, UnaryOperator<DevServer.Builder> devserver) throws Exception {
        js = JsPeerDevServer.start(checkpointing, env, withPeerApp, devserver);
        dev = js.dev;
        peer = js.peer;
        api = js.api;
    }

    @AfterAll
    void stopJs() {
        if (js != null) {
            js.close();
        }
    }
}
